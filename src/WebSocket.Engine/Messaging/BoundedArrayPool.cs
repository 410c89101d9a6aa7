using System;
using System.Numerics;
using System.Threading;

namespace WebSocketAddIn.Engine.Messaging;

/// <summary>
/// Arrays of power-of-two lengths from <paramref name="smallest"/> to <paramref name="largest"/>,
/// at most <paramref name="perSize"/> of each kept. Unlike <see cref="System.Buffers.ArrayPool{T}"/>
/// it tells the caller whether a returned array was kept: one that was not is garbage, and the
/// memory budget counts it until a collection has run (<see cref="MemoryBudget.Dropped"/>).
/// Large messages are few and slow next to one lock per rent and return.
/// </summary>
internal sealed class BoundedArrayPool(int smallest, int largest, int perSize)
{
    private readonly Lock _gate = new();
    private readonly int _smallestShift = BitOperations.Log2((uint)smallest);
    private readonly byte[]?[][] _kept = Buckets(smallest, largest, perSize);

    /// <summary>An array of at least <paramref name="minimumLength"/> (a power of two, at least the smallest size).</summary>
    public byte[] Rent(int minimumLength)
    {
        var length = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(minimumLength, smallest));
        if (length > largest)
        {
            throw new ArgumentOutOfRangeException(nameof(minimumLength));
        }

        var bucket = _kept[BitOperations.Log2((uint)length) - _smallestShift];
        lock (_gate)
        {
            for (var i = 0; i < bucket.Length; i++)
            {
                if (bucket[i] is { } array)
                {
                    bucket[i] = null;
                    return array;
                }
            }
        }

        return GC.AllocateUninitializedArray<byte>(length);
    }

    /// <summary>Keeps the array if its size has a free place; false when it was let go to the GC.</summary>
    public bool Return(byte[] array)
    {
        var length = array.Length;
        if (length < smallest || length > largest || !BitOperations.IsPow2(length))
        {
            return false;
        }

        var bucket = _kept[BitOperations.Log2((uint)length) - _smallestShift];
        lock (_gate)
        {
            for (var i = 0; i < bucket.Length; i++)
            {
                if (bucket[i] is null)
                {
                    bucket[i] = array;
                    return true;
                }
            }
        }

        return false;
    }

    private static byte[]?[][] Buckets(int smallest, int largest, int perSize)
    {
        var count = BitOperations.Log2((uint)largest) - BitOperations.Log2((uint)smallest) + 1;
        var buckets = new byte[]?[count][];
        for (var i = 0; i < count; i++)
        {
            buckets[i] = new byte[]?[perSize];
        }

        return buckets;
    }
}
