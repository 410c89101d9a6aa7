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
/// </summary>
public static class MemoryReclaimer
{
    public const long BurstBytes = 32L * 1024 * 1024;

    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);

    private static readonly Timer Timer = new(static _ => Collect(), null, Timeout.Infinite, Timeout.Infinite);
    private static int s_scheduled;

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

    private static void Collect()
    {
        Volatile.Write(ref s_scheduled, 0);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        Interlocked.Increment(ref s_collections);
    }
}
