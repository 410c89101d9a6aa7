using System;
using System.Collections.Generic;
using System.Threading;

namespace WebSocketAddIn.Engine.Messaging;

/// <summary>
/// Gives memory back to the operating system after a burst of large messages. The memory belongs
/// to the 1C process (rphost, next to every user's session), yet a GC heap that grew for a burst
/// stays committed until a collection decides otherwise, and an idle server allocates nothing that
/// would trigger one. So one aggressive collection (which decommits what it frees) runs
/// at most <see cref="Delay"/> after a budget that held more than <see cref="BurstBytes"/> fell to
/// nothing, and at most <see cref="Delay"/> after a message array too large for a pool was let go:
/// the end of any burst is followed by a collection, however its messages were spread out.
/// Nothing happens on the message path: only a budget falling to zero and an array going to the GC
/// look here.
/// <para>During a burst, the message arrays above <see cref="MessageBuffers.PooledUpTo"/> that were
/// let go are garbage until a full collection, and the GC, which sizes its budget for large
/// objects by how many there are, lets that grow to several times what is alive (a flood held 290
/// MB resident for a 64 MB budget). Such an array stays counted in its budget until a collection
/// has run (<see cref="MemoryBudget.Dropped"/>); one runs on the pool once <see cref="GarbageBytes"/>
/// were let go since the last, or as soon as a spent budget holds garbage (the room it waits for).
/// When the pool is slow to run it (a loaded machine), readers wait at the budget meanwhile, and
/// the process does not grow past it.</para>
/// </summary>
public static class MemoryReclaimer
{
    public const long BurstBytes = 32L * 1024 * 1024;

    public const long GarbageBytes = 16L * 1024 * 1024;

    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);

    private static readonly Timer Timer = new(static _ => IdleCollection(), null, Timeout.Infinite, Timeout.Infinite);

    // Budgets with garbage counted that the next collection gives back.
    private static readonly Lock Gate = new();
    private static readonly HashSet<MemoryBudget> WithGarbage = [];

    // 1 while the timer is set; 1 while something was let go that no collection has given back yet.
    private static int s_scheduled;
    private static int s_due;
    private static long s_garbage;
    private static int s_collecting;
    private static int s_collections;

    /// <summary>How many collections were run after a burst (for tests and counters).</summary>
    public static int Collections => Volatile.Read(ref s_collections);

    internal static void Idle(MemoryBudget budget)
    {
        if (budget.TakePeak() >= BurstBytes)
        {
            CollectLater();
        }
    }

    // Taking the peak at each idle moment forgets it: a burst whose budget touched zero midway (a
    // 1C loop that keeps up) has a second half whose peak alone is small. Its large arrays still
    // ask for the collection here, so the end of the burst is never left uncollected (before, its
    // last arrays stayed resident until the next burst).
    private static void CollectLater()
    {
        Volatile.Write(ref s_due, 1);
        if (Interlocked.Exchange(ref s_scheduled, 1) == 0)
        {
            Timer.Change(Delay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>A message array above the pooled sizes was let go (and, if counted, moved to its budget's garbage).</summary>
    internal static void LargeArrayDropped(int length, MemoryBudget? budget)
    {
        if (budget is not null)
        {
            lock (Gate)
            {
                WithGarbage.Add(budget);
            }
        }

        if (Interlocked.Add(ref s_garbage, length) >= GarbageBytes)
        {
            CollectGarbage();
        }

        CollectLater();
    }

    /// <summary>Asks for a full collection on the pool, unless one is already under way.</summary>
    internal static void CollectGarbage()
    {
        if (Interlocked.Exchange(ref s_collecting, 1) == 1)
        {
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(static _ =>
        {
            CollectAndCredit();
            Volatile.Write(ref s_collecting, 0);

            // Garbage dropped during the collection is not in the credit: a budget waiting for the room
            // it holds would wait for a collection nobody asks for.
            if (AnyWaitingWithGarbage())
            {
                CollectGarbage();
            }
        }, null);
    }

    private static void IdleCollection()
    {
        // Cleared before the collection: whatever is let go during it sets the timer again.
        Volatile.Write(ref s_scheduled, 0);
        if (Interlocked.Exchange(ref s_due, 0) == 0)
        {
            return;
        }

        CollectAndCredit();
        Interlocked.Increment(ref s_collections);
    }

    /// <summary>One full, compacting collection; then every budget is credited with the garbage it had before it.</summary>
    private static void CollectAndCredit()
    {
        List<(MemoryBudget Budget, long Bytes)> credit;
        lock (Gate)
        {
            credit = new(WithGarbage.Count);
            foreach (var budget in WithGarbage)
            {
                credit.Add((budget, budget.Garbage));
            }

            WithGarbage.Clear();
            Interlocked.Exchange(ref s_garbage, 0);
        }

        // Large arrays of many sizes come and go: without compaction the freed space stays
        // fragmented and committed (70 MB of 125 in one flood).
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        foreach (var (budget, bytes) in credit)
        {
            budget.Collected(bytes);
        }
    }

    private static bool AnyWaitingWithGarbage()
    {
        lock (Gate)
        {
            foreach (var budget in WithGarbage)
            {
                if (budget.HasWaiters && budget.Garbage > 0)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
