using System;
using System.Threading;

namespace WebSocketAddIn.Engine.Messaging;

/// <summary>
/// A message body in an array that is pooled unless it is small (<see cref="MessageBuffers"/> for
/// large ones). Either one owner (who returns it once it has been copied out or sent), or — for a
/// broadcast — shared by several holders, each returning it once; the array goes back with the
/// last. A broadcast to 10,000 clients never copies the body. A body may be counted in a
/// <see cref="MemoryBudget"/>: its array's size is released from it when the array goes back.
/// </summary>
public readonly struct Payload
{
    /// <summary>
    /// Bodies smaller than this are copied into arrays of their own instead of pooled ones. A received
    /// message is rented on the pool thread that read it and returned on the 1C thread that took it,
    /// so the pool's per-thread caches never hit and every rent and return took the pool's shared
    /// lock, contended by all connections (perf at 64 × 4 × 32 B, docs/benchmarks.md); a small array
    /// from the GC costs less than that lock.
    /// </summary>
    public const int PooledFrom = 1024;

    // byte[] for one owner, SharedArray for several; null for the empty payload.
    private readonly object? _owner;
    private readonly bool _pooled;
    private readonly MemoryBudget? _budget;

    private Payload(object? owner, int length, bool pooled, MemoryBudget? budget)
    {
        _owner = owner;
        Length = length;
        _pooled = pooled;
        _budget = budget;
    }

    public int Length { get; }

    public ReadOnlySpan<byte> Span => Array is { } array ? array.AsSpan(0, Length) : ReadOnlySpan<byte>.Empty;

    public ReadOnlyMemory<byte> Memory => Array is { } array ? array.AsMemory(0, Length) : ReadOnlyMemory<byte>.Empty;

    public static Payload Empty => default;

    private byte[]? Array => _owner as byte[] ?? (_owner as SharedArray)?.Array;

    /// <summary>Takes ownership of an array from <see cref="MessageBuffers.Rent"/>, already counted in <paramref name="budget"/> (if any) at its full size.</summary>
    public static Payload FromRented(byte[] array, int length, MemoryBudget? budget = null) => new(array, length, pooled: true, budget);

    /// <summary>A copy of <paramref name="bytes"/>, counted in <paramref name="budget"/> (if any).</summary>
    public static Payload CopyOf(ReadOnlySpan<byte> bytes, MemoryBudget? budget = null)
    {
        if (bytes.IsEmpty)
        {
            return Empty;
        }

        var pooled = bytes.Length >= PooledFrom;
        byte[] array;
        if (pooled)
        {
            array = MessageBuffers.Rent(bytes.Length);
            bytes.CopyTo(array);
        }
        else
        {
            array = bytes.ToArray();
        }

        budget?.Charge(array.Length);
        return new Payload(array, bytes.Length, pooled, budget);
    }

    /// <summary>Turns a payload of one owner into one held by <paramref name="holders"/>; each must call <see cref="Return"/> once.</summary>
    public Payload Share(int holders)
    {
        if (!_pooled)
        {
            // An empty body, or a small one in an array of its own: nothing goes back to a pool, so
            // the holders need no count; its few bytes leave the budget now rather than N times later.
            if (_owner is byte[] small)
            {
                _budget?.Release(small.Length);
            }

            return new Payload(_owner, Length, pooled: false, budget: null);
        }

        if (_owner is not byte[] array)
        {
            throw new InvalidOperationException("Only a payload of one owner can be shared.");
        }

        return new Payload(new SharedArray(array, holders, _budget), Length, pooled: true, budget: null);
    }

    public void Return()
    {
        switch (_owner)
        {
            case byte[] array when _pooled:
                MessageBuffers.Return(array, _budget);
                break;
            case byte[] array:
                _budget?.Release(array.Length);
                break;
            case SharedArray shared:
                shared.Release();
                break;
        }
    }

    private sealed class SharedArray(byte[] array, int holders, MemoryBudget? budget)
    {
        private int _holders = holders;

        public byte[] Array { get; } = array;

        public void Release()
        {
            if (Interlocked.Decrement(ref _holders) == 0)
            {
                MessageBuffers.Return(Array, budget);
            }
        }
    }
}
