using System;
using System.Buffers;

namespace WebSocketAddIn.Engine.Messaging;

/// <summary>
/// Where message bodies get their arrays, chosen so that a burst of large messages leaves nothing
/// behind once it is over:
/// <list type="bullet">
/// <item>up to <see cref="SharedUpTo"/> from the process's shared pool, fast from any thread (most
/// messages are small), which keeps up to 32 arrays of each size per core;</item>
/// <item>up to <see cref="PooledUpTo"/> from a pool of our own that keeps at most four of each size;</item>
/// <item>above that straight from the GC: the shared pool would keep 32 arrays of every size up to
/// 64 MiB per core until a gen-2 collection under memory pressure trimmed them (measured: 1 GB
/// still held 30 s after a burst of 16 MiB messages, 50 MB after a flood of 1 MiB ones).</item>
/// </list>
/// An array above <see cref="SharedUpTo"/> that no pool keeps is large-object garbage, resident
/// until a full collection: a budget it was counted in keeps counting it until then (a flood of 50
/// fragmented messages left 90 MB of such arrays beside a 64 MB budget on a loaded machine).
/// </summary>
public static class MessageBuffers
{
    public const int SharedUpTo = 64 * 1024;

    public const int PooledUpTo = 1024 * 1024;

    private static readonly BoundedArrayPool Medium = new(SharedUpTo * 2, PooledUpTo, perSize: 4);

    public static byte[] Rent(int minimumLength) => minimumLength switch
    {
        <= SharedUpTo => ArrayPool<byte>.Shared.Rent(minimumLength),
        <= PooledUpTo => Medium.Rent(minimumLength),
        _ => GC.AllocateUninitializedArray<byte>(minimumLength),
    };

    /// <summary>The length of the array <see cref="Rent"/> gives for <paramref name="minimumLength"/>.</summary>
    public static long RentedLength(int minimumLength) =>
        minimumLength <= PooledUpTo ? (long)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(minimumLength, 16)) : minimumLength;

    /// <summary>
    /// Gives back an array counted in <paramref name="budget"/> (if any) at its full length. One
    /// that goes to the GC stays counted there as garbage until a collection has run.
    /// </summary>
    public static void Return(byte[] array, MemoryBudget? budget)
    {
        if (array.Length <= SharedUpTo)
        {
            budget?.Release(array.Length);
            ArrayPool<byte>.Shared.Return(array);
            return;
        }

        if (array.Length <= PooledUpTo && Medium.Return(array))
        {
            budget?.Release(array.Length);
            return;
        }

        budget?.Dropped(array.Length);
        MemoryReclaimer.LargeArrayDropped(array.Length, budget);
    }

    /// <summary>Gives back an array counted in no budget.</summary>
    public static void Return(byte[] array) => Return(array, budget: null);
}
