using System;
using System.Buffers;

namespace WebSocketAddIn.Engine.Messaging;

/// <summary>
/// Where message bodies get their arrays. Up to <see cref="PooledUpTo"/> from the shared pool, which
/// keeps a few arrays of each size per core for the next message; above it straight from the GC, so
/// that a burst of large messages leaves nothing behind once it is over: the shared pool would keep
/// up to eight 64 MiB arrays per core until a gen-2 collection under memory pressure trimmed them
/// (measured: 1 GB still held 30 s after a burst of 16 MiB messages).
/// </summary>
public static class MessageBuffers
{
    public const int PooledUpTo = 1024 * 1024;

    public static byte[] Rent(int minimumLength) =>
        minimumLength <= PooledUpTo ? ArrayPool<byte>.Shared.Rent(minimumLength) : GC.AllocateUninitializedArray<byte>(minimumLength);

    public static void Return(byte[] array)
    {
        // An array above the pooled sizes was never the pool's: the GC takes it back.
        if (array.Length <= PooledUpTo)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
