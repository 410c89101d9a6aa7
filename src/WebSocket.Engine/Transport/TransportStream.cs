using System;
using System.Buffers;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace WebSocketAddIn.Engine.Transport;

/// <summary>
/// The byte stream under one WebSocket: Kestrel's upgraded connection on the server, the HTTP
/// connection ClientWebSocket upgraded on the client. ManagedWebSocket reads and writes through it;
/// it adds what the framework does not do:
/// <list type="bullet">
/// <item>counts the bytes each way (for the counters administrators read);</item>
/// <item>refuses a data frame declared longer than the message limit as soon as its header
/// arrives, and on the server an unmasked client frame (<see cref="FrameGuard"/>);</item>
/// <item>remembers the code of the close frame written, also one ManagedWebSocket wrote by itself
/// on a protocol error;</item>
/// <item>after a close, reads and discards what the peer still sends, for a bounded time and
/// amount (<see cref="DrainAsync"/>), so the connection ends with a FIN and not with a reset that
/// would destroy the close frame and what was sent before it;</item>
/// <item>fails a write once the transport reports the connection lost: Kestrel drops writes to a
/// connection whose socket failed without telling the writer, and the message would count as sent.</item>
/// </list>
/// </summary>
public sealed class TransportStream : Stream
{
    private const int DrainChunk = 4096;

    private readonly Stream _inner;
    private readonly CancellationToken _connectionLost;
    private FrameGuard? _guard;
    private Func<FrameGuard.Problem, ValueTask>? _onRefusedFrame;
    private volatile bool _inputRefused;
    private long _bytesRead;
    private long _bytesWritten;
    private int _closeCodeWritten;

    /// <param name="inner">The connection's stream.</param>
    /// <param name="connectionLost">Cancelled by the transport when the connection is gone (Kestrel's RequestAborted).</param>
    public TransportStream(Stream inner, CancellationToken connectionLost = default)
    {
        _inner = inner;
        _connectionLost = connectionLost;
    }

    public long BytesRead => Interlocked.Read(ref _bytesRead);

    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    /// <summary>The code of the first close frame written to the peer; 0 while none was.</summary>
    public int CloseCodeWritten => Volatile.Read(ref _closeCodeWritten);

    /// <summary>
    /// True once <see cref="DrainAsync"/> has read the peer's input away: the connection may end
    /// in the ordinary way (a FIN after what was written), not by an abort.
    /// </summary>
    public bool Drained { get; private set; }

    /// <summary>True once a frame was refused: nothing more is read from the peer but by <see cref="DrainAsync"/>.</summary>
    public bool InputRefused => _inputRefused;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// Refuse data frames declared longer than <paramref name="maxPayload"/> (and, with
    /// <paramref name="requireMask"/>, unmasked ones): the bytes before such a frame are handed on,
    /// then <paramref name="onRefusedFrame"/> runs (it sends the close) and the reader sees the end
    /// of the stream.
    /// </summary>
    public void GuardFrames(long maxPayload, bool requireMask, Func<FrameGuard.Problem, ValueTask> onRefusedFrame)
    {
        _guard = new FrameGuard(maxPayload, requireMask);
        _onRefusedFrame = onRefusedFrame;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_inputRefused)
        {
            return 0;
        }

        var read = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _bytesRead, read);
        if (_guard is not { } guard || read == 0)
        {
            return read;
        }

        var allowed = guard.Scan(buffer.Span[..read]);
        if (allowed < 0)
        {
            return read;
        }

        _inputRefused = true;
        if (_onRefusedFrame is { } onRefused)
        {
            await onRefused(guard.Found).ConfigureAwait(false);
        }

        return allowed;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfConnectionLost();
        if (Volatile.Read(ref _closeCodeWritten) == 0 && CloseFrames.CodeOf(buffer.Span) is var code and not 0)
        {
            Interlocked.CompareExchange(ref _closeCodeWritten, code, 0);
        }

        Interlocked.Add(ref _bytesWritten, buffer.Length);
        return _inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        ThrowIfConnectionLost();
        return _inner.FlushAsync(cancellationToken);
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>
    /// Reads and discards what the peer still sends after our close: until it closes its side, goes
    /// quiet for <paramref name="quiet"/>, has sent <paramref name="maxBytes"/>, or <paramref name="total"/>
    /// has passed. A socket closed with unread input is answered with a reset, which makes the peer's
    /// kernel throw away our close frame; a quiet one ends with a FIN after everything we wrote.
    /// Never throws.
    /// </summary>
    public async Task DrainAsync(TimeSpan quiet, TimeSpan total, long maxBytes)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(DrainChunk);
        var deadline = Environment.TickCount64 + (long)total.TotalMilliseconds;
        long drained = 0;
        try
        {
            while (drained < maxBytes)
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    return;
                }

                using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(Math.Min(left, quiet.TotalMilliseconds)));
                var read = await _inner.ReadAsync(scratch.AsMemory(), wait.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    Drained = true;
                    return;
                }

                Interlocked.Add(ref _bytesRead, read);
                drained += read;
            }
        }
        catch (OperationCanceledException)
        {
            // Quiet: nothing left to read.
            Drained = true;
        }
        catch (Exception error) when (error is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection is gone: an abort changes nothing.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => _inner.DisposeAsync();

    private void ThrowIfConnectionLost()
    {
        if (_connectionLost.IsCancellationRequested)
        {
            throw new IOException("The connection was lost while sending.");
        }
    }
}
