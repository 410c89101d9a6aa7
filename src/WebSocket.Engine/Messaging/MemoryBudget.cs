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
/// <para>A message array too large for a pool is garbage once let go, resident until a full
/// collection: until that collection has run it still counts here (<see cref="Garbage"/>), so
/// that the budget bounds what the process holds, not only what is alive; a spent budget with
/// garbage in it asks the reclaimer for the collection that gives the room back.</para>
/// </summary>
public sealed class MemoryBudget
{
    private readonly Lock _gate = new();
    private long _used;
    private long _garbage;
    private long _peak;
    private long _burstPeak;
    private int _largeAssemblies;
    private volatile TaskCompletionSource? _room;

    /// <param name="limit">Bytes; 0 counts without limiting.</param>
    public MemoryBudget(long limit) => Limit = limit;

    public long Limit { get; }

    public long Used => Interlocked.Read(ref _used);

    /// <summary>Arrays let go and not yet collected (see the remarks): counted as held.</summary>
    public long Garbage => Interlocked.Read(ref _garbage);

    private long Held => Interlocked.Read(ref _used) + Interlocked.Read(ref _garbage);

    /// <summary>The most that was held at once since the budget was made (a run of the server).</summary>
    public long Peak => Interlocked.Read(ref _peak);

    public bool IsSpent => Limit > 0 && Held >= Limit;

    /// <summary>
    /// Spent even for a connection that holds nothing: a sixteenth of the budget more. Up to there
    /// a peer with nothing waiting may still send its next (small) message while the budget is spent
    /// by others, so that good clients are served during a flood of hostile ones.
    /// </summary>
    public bool IsSpentForNewcomers => Limit > 0 && Held >= Limit + (Limit / 16);

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
        if (Limit > 0 && Held + bytes > Limit)
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
        OpenRoomIfAny(used + Interlocked.Read(ref _garbage));
        if (used == 0)
        {
            MemoryReclaimer.Idle(this);
        }
    }

    /// <summary>
    /// An array of <paramref name="bytes"/> counted here was let go to the GC: it stops being alive
    /// but stays counted until <see cref="Collected"/> says a full collection has run since.
    /// </summary>
    internal void Dropped(long bytes)
    {
        Interlocked.Add(ref _garbage, bytes);
        if (Interlocked.Add(ref _used, -bytes) == 0)
        {
            MemoryReclaimer.Idle(this);
        }
    }

    /// <summary>A full collection that started after <paramref name="bytes"/> of this budget's garbage had been dropped has ended.</summary>
    internal void Collected(long bytes) => OpenRoomIfAny(Interlocked.Add(ref _garbage, -bytes) + Interlocked.Read(ref _used));

    /// <summary>A connection starts (true) or stops (false) assembling a message larger than one receive chunk.</summary>
    public void LargeAssembly(bool started) => Interlocked.Add(ref _largeAssemblies, started ? 1 : -1);

    /// <summary>Completes once the budget is no longer spent (for a newcomer, with <paramref name="newcomer"/>), or memory is released.</summary>
    public Task WaitForRoomAsync(bool newcomer = false) => WaitAsync(bytes: 0, newcomer);

    /// <summary>
    /// After <see cref="TryCharge"/> refused <paramref name="bytes"/>: completes once they would fit,
    /// or memory is released (then try again). Without the bytes, a budget just short of its limit
    /// would not count as spent, and the caller would retry at once, forever.
    /// </summary>
    public Task WaitForRoomAsync(long bytes) => WaitAsync(bytes, newcomer: false);

    /// <summary>Someone waits for room (the reclaimer asks, after a collection, whether it must run again).</summary>
    internal bool HasWaiters => _room is not null;

    private bool HasRoom(long bytes, bool newcomer) =>
        bytes > 0 ? Limit == 0 || Held + bytes <= Limit : newcomer ? !IsSpentForNewcomers : !IsSpent;

    private Task WaitAsync(long bytes, bool newcomer)
    {
        if (HasRoom(bytes, newcomer))
        {
            return Task.CompletedTask;
        }

        Task wait;
        lock (_gate)
        {
            var room = _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.MemoryBarrier();
            if (HasRoom(bytes, newcomer))
            {
                room.TrySetResult();
                _room = null;
            }

            wait = room.Task;
        }

        // Part of what is spent may be garbage that only a collection gives back.
        if (!wait.IsCompleted && Interlocked.Read(ref _garbage) > 0)
        {
            MemoryReclaimer.CollectGarbage();
        }

        return wait;
    }

    /// <summary>The most held since the budget was last idle, read (and forgotten) by the reclaimer once it is idle again.</summary>
    internal long TakePeak() => Interlocked.Exchange(ref _burstPeak, Interlocked.Read(ref _used));

    // Every waiter wakes and looks again: a release of any size may be the room one of them needs.
    private void OpenRoomIfAny(long held)
    {
        if (_room is not null && (Limit == 0 || held < Limit + (Limit / 16)))
        {
            OpenRoom();
        }
    }

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
