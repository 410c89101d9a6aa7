using System;
using System.Threading;
using System.Threading.Tasks;

namespace WebSocketAddIn.Engine.Messaging;

/// <summary>
/// The message memory one server (or client) may hold: bodies received and not yet taken by 1C,
/// messages being assembled, and replies queued for sending. Reading stops while it is spent (the
/// peers are slowed down by TCP, nothing is dropped); a connection that would need more than its
/// share to finish a message is refused (1009). Counting is one interlocked add per body, with no
/// lock: the counter is shared by every connection and the 1C thread.
/// </summary>
public sealed class MemoryBudget
{
    private readonly Lock _gate = new();
    private long _used;
    private long _peak;
    private long _burstPeak;
    private int _largeAssemblies;
    private volatile TaskCompletionSource? _room;

    /// <param name="limit">Bytes; 0 counts without limiting.</param>
    public MemoryBudget(long limit) => Limit = limit;

    public long Limit { get; }

    public long Used => Interlocked.Read(ref _used);

    /// <summary>The most that was held at once since the budget was made (a run of the server).</summary>
    public long Peak => Interlocked.Read(ref _peak);

    public bool IsSpent => Limit > 0 && Interlocked.Read(ref _used) >= Limit;

    /// <summary>
    /// Spent even for a connection that holds nothing: a sixteenth of the budget more. Up to there
    /// a peer with nothing waiting may still send its next (small) message while the budget is spent
    /// by others, so that good clients are served during a flood of hostile ones.
    /// </summary>
    public bool IsSpentForNewcomers => Limit > 0 && Interlocked.Read(ref _used) >= Limit + (Limit / 16);

    /// <summary>
    /// What one connection may hold for a message it is assembling while the budget is spent: the
    /// budget shared among the connections assembling large messages (at least the caller).
    /// </summary>
    public long FairShare => Limit / Math.Max(1, Volatile.Read(ref _largeAssemblies));

    /// <summary>Counts bytes that are held already (a message received, a reply queued): never refused.</summary>
    public void Charge(long bytes)
    {
        var used = Interlocked.Add(ref _used, bytes);
        if (used > Interlocked.Read(ref _burstPeak))
        {
            Raise(ref _burstPeak, used);
            Raise(ref _peak, used);
        }
    }

    /// <summary>Counts bytes about to be allocated, unless that would spend more than the limit.</summary>
    public bool TryCharge(long bytes)
    {
        if (Limit > 0 && Interlocked.Read(ref _used) + bytes > Limit)
        {
            return false;
        }

        Charge(bytes);
        return true;
    }

    public void Release(long bytes)
    {
        var used = Interlocked.Add(ref _used, -bytes);

        // Interlocked above is a full fence: a waiter that published its wait before it is seen here;
        // one that publishes after it looks at the count again (WaitForRoomAsync).
        if (_room is not null && (Limit == 0 || used < Limit + (Limit / 16)))
        {
            OpenRoom();
        }

        if (used == 0)
        {
            MemoryReclaimer.Idle(this);
        }
    }

    /// <summary>A connection starts (true) or stops (false) assembling a message larger than one receive chunk.</summary>
    public void LargeAssembly(bool started) => Interlocked.Add(ref _largeAssemblies, started ? 1 : -1);

    /// <summary>Completes once the budget is no longer spent (for a newcomer, with <paramref name="newcomer"/>), or memory is released.</summary>
    public Task WaitForRoomAsync(bool newcomer = false)
    {
        if (newcomer ? !IsSpentForNewcomers : !IsSpent)
        {
            return Task.CompletedTask;
        }

        lock (_gate)
        {
            var room = _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.MemoryBarrier();
            if (newcomer ? !IsSpentForNewcomers : !IsSpent)
            {
                room.TrySetResult();
                _room = null;
            }

            return room.Task;
        }
    }

    /// <summary>The most held since the budget was last idle, read (and forgotten) by the reclaimer once it is idle again.</summary>
    internal long TakePeak() => Interlocked.Exchange(ref _burstPeak, Interlocked.Read(ref _used));

    private void OpenRoom()
    {
        lock (_gate)
        {
            _room?.TrySetResult();
            _room = null;
        }
    }

    private static void Raise(ref long peak, long used)
    {
        var seen = Interlocked.Read(ref peak);
        while (used > seen)
        {
            var before = Interlocked.CompareExchange(ref peak, used, seen);
            if (before == seen)
            {
                return;
            }

            seen = before;
        }
    }
}
