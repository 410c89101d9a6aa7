using System;
using System.Buffers;
using System.Threading;

namespace WebSocketAddIn.Engine.Messaging;

/// <summary>
/// A message body in a pooled array. Either one owner (who returns it once it has been copied out
/// or sent), or — for a broadcast — shared by several holders, each returning it once; the array
/// goes back to the pool with the last. A broadcast to 10,000 clients never copies the body.
/// </summary>
public readonly struct Payload
{
    // byte[] for one owner, SharedArray for several; null for the empty payload.
    private readonly object? _owner;

    private Payload(object? owner, int length)
    {
        _owner = owner;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlySpan<byte> Span => Array is { } array ? array.AsSpan(0, Length) : ReadOnlySpan<byte>.Empty;

    public ReadOnlyMemory<byte> Memory => Array is { } array ? array.AsMemory(0, Length) : ReadOnlyMemory<byte>.Empty;

    public static Payload Empty => default;

    private byte[]? Array => _owner as byte[] ?? (_owner as SharedArray)?.Array;

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

    /// <summary>Turns a payload of one owner into one held by <paramref name="holders"/>; each must call <see cref="Return"/> once.</summary>
    public Payload Share(int holders)
    {
        if (_owner is not byte[] array)
        {
            throw new InvalidOperationException("Only a payload of one owner can be shared.");
        }

        return new Payload(new SharedArray(array, holders), Length);
    }

    public void Return()
    {
        switch (_owner)
        {
            case byte[] array:
                ArrayPool<byte>.Shared.Return(array);
                break;
            case SharedArray shared:
                shared.Release();
                break;
        }
    }

    private sealed class SharedArray(byte[] array, int holders)
    {
        private int _holders = holders;

        public byte[] Array { get; } = array;

        public void Release()
        {
            if (Interlocked.Decrement(ref _holders) == 0)
            {
                ArrayPool<byte>.Shared.Return(Array);
            }
        }
    }
}
