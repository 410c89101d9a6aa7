using System;
using OneC.NativeApi.Interop;
using OneC.NativeApi.Platform;

namespace OneC.NativeApi.Components;

/// <summary>
/// One call from 1C: typed access to the arguments (with the contract's «bad cast» errors and the
/// declared defaults), writes into by-reference slots, and the return value. Indexes are 0-based;
/// error texts number parameters from 1 as 1C developers count them.
/// </summary>
public unsafe ref struct MethodCall
{
    private readonly AddInComponent _component;
    private readonly MethodDefinition _method;
    private readonly void* _arguments;
    private readonly int _count;
    private readonly void* _result;

    internal MethodCall(AddInComponent component, MethodDefinition method, void* arguments, int count, void* result)
    {
        _component = component;
        _method = method;
        _arguments = arguments;
        _count = count;
        _result = result;
    }

    /// <summary>Whether 1C wants the value (CallAsFunc) or called the method as a statement (CallAsProc).</summary>
    public readonly bool WantsResult => _result != null;

    public readonly int ArgumentCount => _count;

    internal readonly void CheckCount()
    {
        if (_count < _method.RequiredParameterCount)
        {
            throw new AddInException(BridgeMessages.TooFewArguments(_method, _count));
        }

        if (_count > _method.Parameters.Count)
        {
            throw new AddInException(BridgeMessages.TooManyArguments(_method, _count));
        }
    }

    /// <summary>The raw argument, or null where it was not passed (or passed as Неопределено) and a default applies.</summary>
    public readonly Variant? Argument(int index)
    {
        if (index >= _count)
        {
            return null;
        }

        var value = Variant.At(_arguments, index);
        return value.Type == VariantType.Empty && _method.Parameters[index].Default is not null ? null : value;
    }

    public readonly long GetInteger(int index)
    {
        if (Argument(index) is not { } value)
        {
            return ((DefaultValue.Number)_method.Parameters[index].Default!).Value;
        }

        var number = RequireNumber(index, value);
        if (number != Math.Floor(number) || double.IsInfinity(number) || Math.Abs(number) > long.MaxValue)
        {
            throw new AddInException(BridgeMessages.NotWholeNumber(index + 1, _method.Parameters[index], number));
        }

        return (long)number;
    }

    public readonly double GetNumber(int index) =>
        Argument(index) is { } value ? RequireNumber(index, value) : ((DefaultValue.Number)_method.Parameters[index].Default!).Value;

    public readonly bool GetBoolean(int index)
    {
        if (Argument(index) is not { } value)
        {
            return ((DefaultValue.Flag)_method.Parameters[index].Default!).Value;
        }

        if (value.Type != VariantType.Bool)
        {
            throw BadCast(index, value);
        }

        return value.AsBoolean();
    }

    /// <summary>The characters of a Строка argument, read in place from the platform's memory.</summary>
    public readonly ReadOnlySpan<char> GetChars(int index)
    {
        if (Argument(index) is not { } value)
        {
            return ((DefaultValue.Text)_method.Parameters[index].Default!).Value;
        }

        if (value.Type != VariantType.PWStr)
        {
            throw BadCast(index, value);
        }

        return value.AsChars();
    }

    public readonly string GetString(int index) => new(GetChars(index));

    /// <summary>A Строка argument, or null where it was not given (or given as Неопределено).</summary>
    public readonly string? GetOptionalString(int index)
    {
        if (Argument(index) is not { } value)
        {
            return null;
        }

        return value.Type == VariantType.PWStr ? new string(value.AsChars()) : throw BadCast(index, value);
    }

    /// <summary>A Строка or ДвоичныеДанные argument, as the variant to read in place.</summary>
    public readonly Variant GetStringOrBinary(int index)
    {
        var value = Argument(index) ?? throw new AddInException(BridgeMessages.TooFewArguments(_method, _count));
        if (value.Type is not (VariantType.PWStr or VariantType.Blob))
        {
            throw BadCast(index, value);
        }

        return value;
    }

    /// <summary>Writes a by-reference argument: 1C copies it back into the caller's variable.</summary>
    public readonly void SetNumber(int index, long value)
    {
        if (index < _count)
        {
            Variant.At(_arguments, index).SetNumber(_component.Memory, value);
        }
    }

    public readonly void SetString(int index, ReadOnlySpan<char> value)
    {
        if (index < _count)
        {
            Variant.At(_arguments, index).SetString(_component.RequireMemory(), value);
        }
    }

    public readonly void SetStringFromUtf8(int index, ReadOnlySpan<byte> utf8)
    {
        if (index < _count)
        {
            Variant.At(_arguments, index).SetStringFromUtf8(_component.RequireMemory(), utf8);
        }
    }

    public readonly void SetBinary(int index, ReadOnlySpan<byte> value)
    {
        if (index < _count)
        {
            Variant.At(_arguments, index).SetBinary(_component.RequireMemory(), value);
        }
    }

    public readonly void ReturnBoolean(bool value)
    {
        if (_result != null)
        {
            new Variant(_result).SetBoolean(_component.Memory, value);
        }
    }

    public readonly void ReturnNumber(long value)
    {
        if (_result != null)
        {
            new Variant(_result).SetNumber(_component.Memory, value);
        }
    }

    public readonly void ReturnString(ReadOnlySpan<char> value)
    {
        if (_result != null)
        {
            new Variant(_result).SetString(_component.RequireMemory(), value);
        }
    }

    private readonly double RequireNumber(int index, Variant value) =>
        value.IsNumber ? value.AsDouble() : throw BadCast(index, value);

    private readonly AddInException BadCast(int index, Variant value) =>
        new(BridgeMessages.BadCast(index + 1, _method.Parameters[index], value));
}
