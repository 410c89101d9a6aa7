using System;
using System.Collections.Generic;
using System.Threading;

namespace WebSocketAddIn.Engine.Messaging;

/// <summary>
/// Gives memory back to the operating system after a burst of large messages. The memory belongs
/// to the 1C process (rphost, next to every user's session), yet a GC heap that grew for a burst
/// stays committed until a collection decides otherwise, and an idle server allocates nothing that
/// would trigger one. Once a budget that held more than <see cref="BurstBytes"/> has held nothing
/// for <see cref="Delay"/>, one aggressive collection (which decommits what it frees) runs. Nothing
/// happens on the message path: only a budget falling to zero looks here.
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

    private static int s_scheduled;
    private static long s_garbage;
    private static int s_collecting;
    private static int s_collections;

    /// <summary>How many collections were run after a burst (for tests and counters).</summary>
    public static int Collections => Volatile.Read(ref s_collections);

    internal static void Idle(MemoryBudget budget)
    {
        if (budget.TakePeak() < BurstBytes)
        {
            return;
        }

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
        Volatile.Write(ref s_scheduled, 0);
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
