using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace WebSocketAddIn.Engine.Messaging;

/// <summary>
/// Messages waiting for 1C code, from every connection, in arrival order (so in order per
/// connection). Many producers, one consumer at a time. Producers never take a lock: every
/// connection's receive loop adds here, and a lock shared by all of them and the 1C thread was
/// the most contended one of the message path. The consumer is woken only when it is actually
/// waiting.
/// </summary>
public sealed class InboundQueue<T>
{
    private readonly ConcurrentQueue<T> _items = new();
    private readonly Lock _consumerGate = new();

    // ManualResetEventSlim's own spinning is off: it spins on every wait, idle or not, and on two
    // cores a spinning 1C thread takes the CPU from the threads that would produce its next message
    // (measured, docs/benchmarks.md). The bounded spin of SpinBeforeSleeping happens only right
    // after a take.
    private readonly ManualResetEventSlim _arrived = new(initialState: false, spinCount: 0);
    private int _consumerWaiting;

    // When the consumer last took an item, for SpinBeforeSleeping.
    private long _lastTake;
    private volatile bool _completed;

    /// <summary>Items waiting now (for counters: costs a walk of the queue's segments).</summary>
    public int Count => _items.Count;

    /// <summary>Adds an item; false once the queue is completed (the item stays the caller's).</summary>
    public bool Add(T item)
    {
        if (_completed)
        {
            return false;
        }

        _items.Enqueue(item);

        // The item must be visible before we look for a waiting consumer, and the consumer marks
        // itself waiting before it looks for items once more: one of the two sees the other.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _consumerWaiting) != 0 && Interlocked.Exchange(ref _consumerWaiting, 0) != 0)
        {
            _arrived.Set();
        }

        return true;
    }

    /// <summary>
    /// Takes the next item, waiting up to <paramref name="timeout"/> (Timeout.Infinite to wait until an
    /// item comes or the queue completes). Items queued before completion are still handed out.
    /// </summary>
    public bool TryTake(int timeout, out T item)
    {
        lock (_consumerGate)
        {
            if (_items.TryDequeue(out item!))
            {
                _lastTake = Stopwatch.GetTimestamp();
                return true;
            }

            var deadline = timeout == Timeout.Infinite ? long.MaxValue : System.Environment.TickCount64 + timeout;
            while (true)
            {
                var remaining = deadline == long.MaxValue ? Timeout.Infinite : (int)System.Math.Max(0, deadline - System.Environment.TickCount64);
                if (_completed || remaining == 0)
                {
                    // One more look: an item added after the look above, just before Complete (the
                    // client's last message, then the end of its connection), is still handed out.
                    return _items.TryDequeue(out item!);
                }

                if (SpinBeforeSleeping() && _items.TryDequeue(out item!))
                {
                    _lastTake = Stopwatch.GetTimestamp();
                    return true;
                }

                // Reset before announcing the wait, so a Set meant for this wait cannot be lost;
                // a stale Set from an earlier wait only costs one more look at the queue.
                _arrived.Reset();
                Interlocked.Exchange(ref _consumerWaiting, 1);
                if (_items.TryDequeue(out item!))
                {
                    Volatile.Write(ref _consumerWaiting, 0);
                    return true;
                }

                if (!_completed)
                {
                    _arrived.Wait(remaining);
                }

                Volatile.Write(ref _consumerWaiting, 0);
                if (_items.TryDequeue(out item!))
                {
                    _lastTake = Stopwatch.GetTimestamp();
                    return true;
                }
            }
        }
    }

    /// <summary>
    /// The consumer is about to sleep with nothing queued. If it took an item a moment ago (within
    /// <see cref="SpinWindow"/>: a peer and 1C answering each other), the next one is likely a round
    /// trip away: it spins for at most <see cref="SpinLimit"/>, yielding the core to the threads that
    /// would produce it (SpinWait yields after a few iterations), instead of paying a sleep and a
    /// wake-up for it: that was half of the 1 × 1 round trip (docs/benchmarks.md). A consumer that
    /// has been idle does not spin at all, so an idle server costs nothing; a busy one rarely finds
    /// the queue empty. True if an item came while spinning.
    /// </summary>
    private bool SpinBeforeSleeping()
    {
        var now = Stopwatch.GetTimestamp();
        if (now - _lastTake > SpinWindow)
        {
            return false;
        }

        var until = now + SpinLimit;
        var spinner = default(SpinWait);
        while (_items.IsEmpty && !_completed)
        {
            if (Stopwatch.GetTimestamp() >= until)
            {
                return false;
            }

            spinner.SpinOnce(sleep1Threshold: -1);
        }

        return true;
    }

    private static readonly long SpinLimit = Stopwatch.Frequency * 50 / 1_000_000;

    private static readonly long SpinWindow = Stopwatch.Frequency / 1000;

    /// <summary>No more items will come (the server stopped): a waiting consumer returns at once.</summary>
    public void Complete()
    {
        _completed = true;
        Interlocked.MemoryBarrier();
        _arrived.Set();
    }

    /// <summary>Accepts items again (the server was started again); items still queued stay.</summary>
    public void Reopen() => _completed = false;

    /// <summary>Removes every queued item, for disposal of the owner.</summary>
    public List<T> Drain()
    {
        lock (_consumerGate)
        {
            var all = new List<T>(_items.Count);
            while (_items.TryDequeue(out var item))
            {
                all.Add(item);
            }

            return all;
        }
    }
}
