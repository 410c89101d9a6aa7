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
/// </summary>
public static class MessageBuffers
{
    public const int SharedUpTo = 64 * 1024;

    public const int PooledUpTo = 1024 * 1024;

    private static readonly ArrayPool<byte> Medium = ArrayPool<byte>.Create(PooledUpTo, maxArraysPerBucket: 4);

    public static byte[] Rent(int minimumLength) => minimumLength switch
    {
        <= SharedUpTo => ArrayPool<byte>.Shared.Rent(minimumLength),
        <= PooledUpTo => Medium.Rent(minimumLength),
        _ => GC.AllocateUninitializedArray<byte>(minimumLength),
    };

    /// <summary>The length of the array <see cref="Rent"/> gives for <paramref name="minimumLength"/>.</summary>
    public static long RentedLength(int minimumLength) =>
        minimumLength <= PooledUpTo ? (long)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(minimumLength, 16)) : minimumLength;

    public static void Return(byte[] array)
    {
        // Every array goes back to where its size says it came from. One above the pooled sizes
        // was never a pool's: the GC takes it back, and the reclaimer learns there is garbage.
        switch (array.Length)
        {
            case <= SharedUpTo:
                ArrayPool<byte>.Shared.Return(array);
                break;
            case <= PooledUpTo:
                Medium.Return(array);
                break;
            default:
                MemoryReclaimer.LargeArrayDropped(array.Length);
                break;
        }
    }
}
