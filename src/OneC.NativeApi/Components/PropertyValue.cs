using System;
using OneC.NativeApi.Interop;

namespace OneC.NativeApi.Components;

/// <summary>The value of a property being read (the getter writes it) or written (the setter reads it).</summary>
public ref struct PropertyValue
{
    private readonly AddInComponent _component;
    private readonly PropertyDefinition _property;
    private readonly Variant _value;

    internal PropertyValue(AddInComponent component, PropertyDefinition property, Variant value)
    {
        _component = component;
        _property = property;
        _value = value;
    }

    public readonly void SetNumber(long value) => _value.SetNumber(_component.Memory, value);

    public readonly void SetBoolean(bool value) => _value.SetBoolean(_component.Memory, value);

    public readonly void SetString(ReadOnlySpan<char> value) => _value.SetString(_component.RequireMemory(), value);

    public readonly long GetInteger()
    {
        if (!_value.IsNumber)
        {
            throw BadCast();
        }

        var number = _value.AsDouble();
        if (number != Math.Floor(number) || Math.Abs(number) > long.MaxValue)
        {
            throw BadCast();
        }

        return (long)number;
    }

    public readonly bool GetBoolean() => _value.Type == VariantType.Bool ? _value.AsBoolean() : throw BadCast();

    public readonly string GetString() => _value.Type == VariantType.PWStr ? new string(_value.AsChars()) : throw BadCast();

    private readonly AddInException BadCast() => new(BridgeMessages.BadPropertyCast(_property, _value));
}
