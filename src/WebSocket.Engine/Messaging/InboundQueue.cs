using System.Collections.Generic;
using System.Threading;

namespace WebSocketAddIn.Engine.Messaging;

/// <summary>
/// Messages waiting for 1C code, from every connection, in arrival order (so in order per
/// connection). Many producers, one consumer at a time. The consumer is woken only when it is
/// actually waiting, and takes everything queued in one swap, so a busy 1C loop drains the queue
/// without touching the producers' lock for each message.
/// </summary>
public sealed class InboundQueue<T>
{
    private readonly object _gate = new();
    private readonly Lock _consumerGate = new();
    private Queue<T> _incoming = new();
    private Queue<T> _taking = new();
    private bool _consumerWaiting;
    private bool _completed;

    /// <summary>Adds an item; false once the queue is completed (the item stays the caller's).</summary>
    public bool Add(T item)
    {
        lock (_gate)
        {
            if (_completed)
            {
                return false;
            }

            _incoming.Enqueue(item);
            if (_consumerWaiting)
            {
                Monitor.Pulse(_gate);
            }

            return true;
        }
    }

    /// <summary>
    /// Takes the next item, waiting up to <paramref name="timeout"/> (Timeout.Infinite to wait until an
    /// item comes or the queue completes). Items queued before completion are still handed out.
    /// </summary>
    public bool TryTake(int timeout, out T item)
    {
        lock (_consumerGate)
        {
            if (_taking.TryDequeue(out item!))
            {
                return true;
            }

            lock (_gate)
            {
                var deadline = timeout == Timeout.Infinite ? long.MaxValue : System.Environment.TickCount64 + timeout;
                while (_incoming.Count == 0)
                {
                    var remaining = deadline == long.MaxValue ? Timeout.Infinite : (int)System.Math.Max(0, deadline - System.Environment.TickCount64);
                    if (_completed || remaining == 0)
                    {
                        item = default!;
                        return false;
                    }

                    _consumerWaiting = true;
                    Monitor.Wait(_gate, remaining);
                    _consumerWaiting = false;
                }

                (_incoming, _taking) = (_taking, _incoming);
            }

            return _taking.TryDequeue(out item!);
        }
    }

    /// <summary>No more items will come (the server stopped): a waiting consumer returns at once.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _completed = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Accepts items again (the server was started again); items still queued stay.</summary>
    public void Reopen()
    {
        lock (_gate)
        {
            _completed = false;
        }
    }

    /// <summary>Removes every queued item, for disposal of the owner.</summary>
    public List<T> Drain()
    {
        lock (_consumerGate)
        {
            lock (_gate)
            {
                var all = new List<T>(_taking.Count + _incoming.Count);
                all.AddRange(_taking);
                all.AddRange(_incoming);
                _taking.Clear();
                _incoming.Clear();
                return all;
            }
        }
    }
}
