using System;
using System.Buffers;

namespace WebSocketAddIn.Engine.Messaging;

/// <summary>
/// A message body in a pooled array. Exactly one owner at a time: whoever takes it out of a
/// queue returns it once it has been copied out or sent.
/// </summary>
public readonly struct Payload
{
    private readonly byte[]? _array;

    private Payload(byte[]? array, int length)
    {
        _array = array;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlySpan<byte> Span => _array is null ? ReadOnlySpan<byte>.Empty : _array.AsSpan(0, Length);

    public ReadOnlyMemory<byte> Memory => _array is null ? ReadOnlyMemory<byte>.Empty : _array.AsMemory(0, Length);

    public static Payload Empty => default;

    /// <summary>Takes ownership of an array rented from <see cref="ArrayPool{T}.Shared"/>.</summary>
    public static Payload FromRented(byte[] array, int length) => new(array, length);

    public static Payload CopyOf(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return Empty;
        }

        var array = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(array);
        return new Payload(array, bytes.Length);
    }

    public void Return()
    {
        if (_array is not null)
        {
            ArrayPool<byte>.Shared.Return(_array);
        }
    }
}
