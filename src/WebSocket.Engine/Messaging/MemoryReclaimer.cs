using System;
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
/// MB resident for a 64 MB budget). Once <see cref="GarbageBytes"/> of them were let go since the
/// last collection, one full collection runs on the pool.</para>
/// </summary>
public static class MemoryReclaimer
{
    public const long BurstBytes = 32L * 1024 * 1024;

    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);

    private static readonly Timer Timer = new(static _ => Collect(), null, Timeout.Infinite, Timeout.Infinite);
    public const long GarbageBytes = 16L * 1024 * 1024;

    private static int s_scheduled;
    private static long s_garbage;
    private static int s_collecting;

    /// <summary>How many collections were run (for tests and counters).</summary>
    public static int Collections => Volatile.Read(ref s_collections);

    private static int s_collections;

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

    /// <summary>A message array above the pooled sizes was let go.</summary>
    internal static void LargeArrayDropped(int length)
    {
        if (Interlocked.Add(ref s_garbage, length) < GarbageBytes || Interlocked.Exchange(ref s_collecting, 1) == 1)
        {
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(static _ =>
        {
            Interlocked.Exchange(ref s_garbage, 0);

            // Large arrays of many sizes come and go: without compaction the freed space stays
            // fragmented and committed (70 MB of 125 in one flood).
            System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            Volatile.Write(ref s_collecting, 0);
        }, null);
    }

    private static void Collect()
    {
        Volatile.Write(ref s_scheduled, 0);
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        Interlocked.Increment(ref s_collections);
    }
}
