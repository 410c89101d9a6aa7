using System;
using System.Runtime.InteropServices;
using System.Text;
using OneC.NativeApi.Abi;
using OneC.NativeApi.Platform;

namespace OneC.NativeApi.Interop;

/// <summary>
/// A view of one tVariant in the platform's memory. Reads never allocate platform memory; every
/// write of a string or binary value allocates the new buffer first, then frees the old one, so a
/// failed allocation leaves the slot as it was (native-api.md, section 7).
/// </summary>
public readonly unsafe struct Variant
{
    private readonly byte* _address;

    public Variant(void* address) => _address = (byte*)address;

    public static Variant At(void* array, int index) => new((byte*)array + (index * AbiLayout.Current.VariantSize));

    public VariantType Type
    {
        get => (VariantType)(*(ushort*)(_address + AbiLayout.Current.VariantTypeOffset));
        private set => *(ushort*)(_address + AbiLayout.Current.VariantTypeOffset) = (ushort)value;
    }

    private uint Length
    {
        get => *(uint*)(_address + AbiLayout.Current.VariantLengthOffset);
        set => *(uint*)(_address + AbiLayout.Current.VariantLengthOffset) = value;
    }

    private void* Pointer
    {
        get => *(void**)_address;
        set => *(void**)_address = value;
    }

    public bool IsNumber => Type is VariantType.I2 or VariantType.I4 or VariantType.R4 or VariantType.R8
        or VariantType.I1 or VariantType.UI1 or VariantType.UI2 or VariantType.UI4 or VariantType.I8
        or VariantType.UI8 or VariantType.Int or VariantType.UInt;

    /// <summary>The numeric value; call only when <see cref="IsNumber"/>.</summary>
    public double AsDouble() => Type switch
    {
        VariantType.I2 => *(short*)_address,
        VariantType.I4 or VariantType.Int => *(int*)_address,
        VariantType.R4 => *(float*)_address,
        VariantType.R8 => *(double*)_address,
        VariantType.I1 => *(sbyte*)_address,
        VariantType.UI1 => *_address,
        VariantType.UI2 => *(ushort*)_address,
        VariantType.UI4 or VariantType.UInt => *(uint*)_address,
        VariantType.I8 => *(long*)_address,
        VariantType.UI8 => *(ulong*)_address,
        _ => throw new InvalidOperationException($"Variant type {Type} is not a number."),
    };

    public bool AsBoolean() => *_address != 0;

    /// <summary>The characters of a PWSTR value (length from the variant, no terminator needed).</summary>
    public ReadOnlySpan<char> AsChars() =>
        Pointer == null ? ReadOnlySpan<char>.Empty : new ReadOnlySpan<char>(Pointer, (int)Length);

    /// <summary>The bytes of a BLOB or PSTR value.</summary>
    public ReadOnlySpan<byte> AsBytes() =>
        Pointer == null ? ReadOnlySpan<byte>.Empty : new ReadOnlySpan<byte>(Pointer, (int)Length);

    public void SetEmpty(MemoryManager? memory)
    {
        ReleaseOwnedBuffer(memory);
        Type = VariantType.Empty;
    }

    public void SetBoolean(MemoryManager? memory, bool value)
    {
        ReleaseOwnedBuffer(memory);
        *_address = value ? (byte)1 : (byte)0;
        Type = VariantType.Bool;
    }

    /// <summary>1C's Число: a 32-bit integer where it fits, a double otherwise.</summary>
    public void SetNumber(MemoryManager? memory, long value)
    {
        ReleaseOwnedBuffer(memory);
        if (value is >= int.MinValue and <= int.MaxValue)
        {
            *(int*)_address = (int)value;
            Type = VariantType.I4;
        }
        else
        {
            *(double*)_address = value;
            Type = VariantType.R8;
        }
    }

    public void SetDouble(MemoryManager? memory, double value)
    {
        ReleaseOwnedBuffer(memory);
        *(double*)_address = value;
        Type = VariantType.R8;
    }

    public void SetString(MemoryManager memory, ReadOnlySpan<char> text)
    {
        var buffer = memory.AllocateString(text);
        ReleaseOwnedBuffer(memory);
        Pointer = buffer;
        Length = (uint)text.Length;
        Type = VariantType.PWStr;
    }

    /// <summary>UTF-8 straight into the platform's UTF-16 buffer, with no managed string in between.</summary>
    public void SetStringFromUtf8(MemoryManager memory, ReadOnlySpan<byte> utf8)
    {
        var length = Encoding.UTF8.GetCharCount(utf8);
        var buffer = (char*)memory.Allocate((length + 1) * sizeof(char));
        var written = Encoding.UTF8.GetChars(utf8, new Span<char>(buffer, length));
        buffer[written] = '\0';
        ReleaseOwnedBuffer(memory);
        Pointer = buffer;
        Length = (uint)written;
        Type = VariantType.PWStr;
    }

    public void SetBinary(MemoryManager memory, ReadOnlySpan<byte> bytes)
    {
        var buffer = (byte*)memory.Allocate(bytes.Length);
        bytes.CopyTo(new Span<byte>(buffer, bytes.Length));
        ReleaseOwnedBuffer(memory);
        Pointer = buffer;
        Length = (uint)bytes.Length;
        Type = VariantType.Blob;
    }

    /// <summary>Frees the platform buffer this slot holds, if any: the slot is being overwritten.</summary>
    private void ReleaseOwnedBuffer(MemoryManager? memory)
    {
        if (Type is VariantType.PWStr or VariantType.PStr or VariantType.Blob)
        {
            var old = Pointer;
            Pointer = null;
            Length = 0;
            memory?.Free(old);
        }
    }

    /// <summary>The zero-filled state of a fresh variant, for slots we create ourselves.</summary>
    public void Clear() => NativeMemory.Clear(_address, (nuint)AbiLayout.Current.VariantSize);
}
