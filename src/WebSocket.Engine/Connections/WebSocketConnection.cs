using System;
using System.Buffers;
using System.Collections.Generic;
using System.Net.WebSockets;
using System.Threading;
using System.Threading.Tasks;
using WebSocketAddIn.Engine.Messaging;

namespace WebSocketAddIn.Engine.Connections;

/// <summary>
/// One WebSocket connection, either side (a client accepted by the server, or the client object's
/// own connection): a receive loop that hands whole messages to the server's inbound
/// queue, and an outgoing queue drained by a pooled work item while there is something to send
/// (no thread or task is parked per idle connection). Reading pauses while too many of this
/// client's messages wait for 1C, or too many replies wait to be sent: a fast client is slowed
/// down, never cut off; only one that stops reading altogether is disconnected (1008).
/// </summary>
public sealed class WebSocketConnection
{
    private const int ReceiveChunk = 4096;

    private readonly WebSocket _socket;
    private readonly ConnectionLimits _limits;
    private readonly Func<InboundMessage, bool> _deliver;
    private readonly Action<WebSocketConnection>? _onFinished;

    // Cancelling it aborts the socket (registered once, below). Sends and receives are given no
    // token: ManagedWebSocket would register one on every call, and a cancellable send always
    // takes its slow path (an async state machine, the send mutex's async wait); cancelling one
    // call aborts the whole socket anyway, which is what the one registration does. Aborting ends
    // what is pending: on the server ASP.NET Core's WebSocket stream aborts the HTTP connection
    // when an aborted socket disposes it (tests: a peer that never answers our close, a client
    // that stops reading).
    private readonly CancellationTokenSource _abort = new();
    private readonly Lock _gate = new();
    private readonly Queue<OutgoingFrame> _outgoing = new();

    // Written under the gate, but read without it by ReadingGate's fast path: Interlocked, so a
    // 32-bit process (Windows x86) never sees half of a write.
    private long _outgoingBytes;
    private bool _sending;
    private volatile bool _closeQueued;
    private bool _finished;

    // Counted without the gate: they change twice per message, on two threads (the receive loop
    // and the 1C thread). The gate is taken only when reading is paused or about to be.
    private int _pendingMessages;
    private long _pendingBytes;
    private volatile TaskCompletionSource? _readingResumed;

    // Completed once our close frame is out (or can no longer be sent).
    private readonly TaskCompletionSource _closeSent = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public WebSocketConnection(long id, string remoteAddress, WebSocket socket, ConnectionLimits limits, Func<InboundMessage, bool> deliver, Action<WebSocketConnection>? finished = null)
    {
        Id = id;
        RemoteAddress = remoteAddress;
        _socket = socket;
        _limits = limits;
        _deliver = deliver;
        _onFinished = finished;
        _abort.Token.UnsafeRegister(static socket => ((WebSocket)socket!).Abort(), socket);
    }

    public long Id { get; }

    /// <summary>The peer: "127.0.0.1:50312", "[::1]:50313", or the URL for a client connection.</summary>
    public string RemoteAddress { get; }

    /// <summary>The connection ended with a closing handshake (a close frame from the peer), not by breaking.</summary>
    public bool ClosedByHandshake { get; private set; }

    /// <summary>The close code as 1C code sees it: the peer's, or 1006 when the connection broke without a close frame.</summary>
    public int CloseCode => ClosedByHandshake ? (int)(PeerCloseStatus ?? WebSocketCloseStatus.Empty) : 1006;

    /// <summary>The close code the peer sent, once it sent one.</summary>
    public WebSocketCloseStatus? PeerCloseStatus => _socket.CloseStatus;

    /// <summary>The reason the peer gave with its close code.</summary>
    public string PeerCloseReason => _socket.CloseStatusDescription ?? string.Empty;

    /// <summary>The upgrade request of a client accepted by the server; null on the client side.</summary>
    public ConnectionRequest? Request { get; init; }

    /// <summary>The subprotocol agreed in the handshake, "" for none.</summary>
    public string Subprotocol => _socket.SubProtocol ?? string.Empty;

    /// <summary>Open from the user's point of view: not closed, closing or gone.</summary>
    public bool IsOpen
    {
        get
        {
            lock (_gate)
            {
                return !_closeQueued && !_finished;
            }
        }
    }

    /// <summary>
    /// Queues a message; false when the connection is closing or gone (the payload is returned either way on failure).
    /// With <paramref name="inline"/>, a message for an idle connection (nothing queued, nothing being sent) is
    /// written by the calling thread itself: ManagedWebSocket frames it into Kestrel's output pipe, which
    /// almost always completes at once, so no pooled work item has to be scheduled and woken for it.
    /// </summary>
    public bool Send(MessageKind kind, Payload payload, bool inline = true)
    {
        bool startDrain;
        lock (_gate)
        {
            if (_closeQueued || _finished)
            {
                payload.Return();
                return false;
            }

            if (_outgoingBytes + payload.Length > _limits.MaxOutgoingBytesPerConnection)
            {
                payload.Return();
                DropQueuedLocked();
                QueueCloseLocked(WebSocketCloseStatus.PolicyViolation, "Client is not reading");

                // The close can only follow the send in flight, which waits on a client that does
                // not read: give it the close timeout, then drop the connection.
                _abort.CancelAfter(_limits.CloseTimeout);
                startDrain = !_sending;
                _sending = true;
                if (!startDrain)
                {
                    // A send is in flight: the running drain sends the close after it. Never fall
                    // through to an inline send of the payload just returned.
                    return false;
                }
            }
            else if (inline && !_sending)
            {
                _sending = true;
                startDrain = false;
            }
            else
            {
                _outgoing.Enqueue(new OutgoingFrame(kind, payload));
                Interlocked.Add(ref _outgoingBytes, payload.Length);
                startDrain = !_sending;
                _sending = true;
                if (!startDrain)
                {
                    return true;
                }
            }
        }

        if (startDrain)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static connection => _ = connection.DrainAsync(), this, preferLocal: false);
            return !_closeQueued;
        }

        SendInline(kind, payload);
        return true;
    }

    /// <summary>Writes one frame on the caller's thread (the connection was idle and is now marked sending).</summary>
    private void SendInline(MessageKind kind, Payload payload)
    {
        ValueTask sending;
        try
        {
            var type = kind == MessageKind.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
            sending = _socket.SendAsync(payload.Memory, type, endOfMessage: true, CancellationToken.None);
        }
        catch (Exception error) when (error is OperationCanceledException or WebSocketException or System.IO.IOException or ObjectDisposedException or InvalidOperationException)
        {
            payload.Return();
            SendFailed();
            return;
        }

        if (!sending.IsCompletedSuccessfully)
        {
            _ = FinishInlineSendAsync(sending, payload);
            return;
        }

        sending.GetAwaiter().GetResult();
        payload.Return();
        lock (_gate)
        {
            if (_outgoing.Count == 0)
            {
                _sending = false;
                return;
            }
        }

        // Something was queued meanwhile (a close, or a message from another thread): the pool drains it.
        ThreadPool.UnsafeQueueUserWorkItem(static connection => _ = connection.DrainAsync(), this, preferLocal: false);
    }

    private async Task FinishInlineSendAsync(ValueTask sending, Payload payload)
    {
        try
        {
            await sending.ConfigureAwait(false);
        }
        catch (Exception error) when (error is OperationCanceledException or WebSocketException or System.IO.IOException or ObjectDisposedException or InvalidOperationException)
        {
            SendFailed();
            return;
        }
        finally
        {
            payload.Return();
        }

        await DrainAsync().ConfigureAwait(false);
    }

    /// <summary>The connection broke while sending: it is over; what was queued is dropped.</summary>
    private void SendFailed()
    {
        Abort();
        lock (_gate)
        {
            DropQueuedLocked();
            _sending = false;

            // Reading may be paused on what was queued: let the receive loop run into the abort
            // and end the connection, instead of waiting for a resume that nothing will send.
            _readingResumed?.TrySetResult();
            _readingResumed = null;
        }
    }

    /// <summary>Closes after what is already queued has been sent; false if it was already closing or gone.</summary>
    public bool Close(WebSocketCloseStatus status, string reason)
    {
        bool startDrain;
        lock (_gate)
        {
            if (_closeQueued || _finished)
            {
                return false;
            }

            QueueCloseLocked(status, reason);
            startDrain = !_sending;
            _sending = true;
        }

        if (startDrain)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static connection => _ = connection.DrainAsync(), this, preferLocal: false);
        }

        return true;
    }

    /// <summary>Drops the connection at once, without a closing handshake.</summary>
    public void Abort()
    {
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already finished.
        }

        _socket.Abort();
    }

    /// <summary>1C took one of this client's messages: reading may resume.</summary>
    public void OnMessageTaken(int length)
    {
        Interlocked.Decrement(ref _pendingMessages);
        Interlocked.Add(ref _pendingBytes, -length);

        // Interlocked above is a full fence: if reading paused before it, the pause is visible here;
        // if it pauses after, ReadingGate sees these counts (see there).
        if (_readingResumed is not null)
        {
            lock (_gate)
            {
                ResumeReadingIfBelowLimitsLocked();
            }
        }
    }

    /// <summary>Receives until the client closes or the connection breaks; completes when the connection is over.</summary>
    public async Task RunAsync()
    {
        // No receive buffer is held while the connection is idle: between messages a zero-byte
        // receive waits for the next frame (ManagedWebSocket passes it down to Kestrel, which waits
        // on the socket without a buffer either). The buffer goes back to the pool only when that
        // wait would block, so a busy connection keeps it from one message to the next.
        byte[]? buffer = null;
        var length = 0;
        try
        {
            while (true)
            {
                if (ReadingGate() is { } paused)
                {
                    if (length == 0 && buffer is not null)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = null;
                    }

                    await paused.ConfigureAwait(false);
                }

                if (length > _limits.MaxMessageBytes)
                {
                    Close(WebSocketCloseStatus.MessageTooBig, "Message too big");
                    await DrainRemainingInputAsync(buffer!).ConfigureAwait(false);
                    return;
                }

                ValueWebSocketReceiveResult result = default;
                var received = false;
                if (length == 0)
                {
                    var next = _socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
                    if (!next.IsCompleted && buffer is not null)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = null;
                    }

                    result = await next.ConfigureAwait(false);

                    // A close, or an empty message, is complete already; anything else has a payload to read.
                    received = result.MessageType == WebSocketMessageType.Close || result.EndOfMessage;
                    if (!received)
                    {
                        buffer ??= ArrayPool<byte>.Shared.Rent(ReceiveChunk);
                    }
                }

                if (!received)
                {
                    // Never read more than one byte past the limit: that byte is what proves a message too big.
                    var readLimit = (int)Math.Min(buffer!.Length, _limits.MaxMessageBytes + 1L);
                    if (length == readLimit)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, _limits.MaxMessageBytes + 1L));
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                        readLimit = (int)Math.Min(buffer.Length, _limits.MaxMessageBytes + 1L);
                    }

                    result = await _socket.ReceiveAsync(buffer.AsMemory(length, readLimit - length), CancellationToken.None).ConfigureAwait(false);
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    ClosedByHandshake = true;
                    await AnswerCloseAsync().ConfigureAwait(false);
                    return;
                }

                length += result.Count;
                if (!result.EndOfMessage || length > _limits.MaxMessageBytes)
                {
                    continue;
                }

                Payload payload;
                if (length == 0)
                {
                    payload = Payload.Empty;
                }
                else if (buffer!.Length > ReceiveChunk)
                {
                    // A large message keeps the array it grew into; the next message rents a small one.
                    payload = Payload.FromRented(buffer, length);
                    buffer = null;
                }
                else
                {
                    payload = Payload.CopyOf(buffer.AsSpan(0, length));
                }

                var kind = result.MessageType == WebSocketMessageType.Text ? InboundKind.Text : InboundKind.Binary;
                Interlocked.Increment(ref _pendingMessages);
                Interlocked.Add(ref _pendingBytes, length);

                length = 0;
                if (!_deliver(new InboundMessage(this, kind, payload)))
                {
                    payload.Return();
                    return;
                }
            }
        }
        catch (Exception error) when (error is OperationCanceledException or WebSocketException or System.IO.IOException or ObjectDisposedException)
        {
            // The client went away or we aborted it: the connection is simply over.
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            Finish();
        }
    }

    /// <summary>The peer started the closing handshake: answer it once what we had queued is out (or at once if nothing is), then end.</summary>
    private async Task AnswerCloseAsync()
    {
        if (_socket.State != WebSocketState.CloseReceived)
        {
            return;
        }

        // If we had queued a close ourselves, it is the answer; otherwise echo the peer's code.
        Close(_socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, string.Empty);
        await _closeSent.Task.WaitAsync(_limits.CloseTimeout).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
    }

    /// <summary>After we decided to close for a too-big message, read and discard until the client's close arrives or time runs out.</summary>
    private async Task DrainRemainingInputAsync(byte[] scratch)
    {
        try
        {
            while (_socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await _socket.ReceiveAsync(scratch.AsMemory(), _abort.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        catch (Exception error) when (error is OperationCanceledException or WebSocketException or System.IO.IOException or ObjectDisposedException)
        {
            // Over either way.
        }
    }

    private async Task DrainAsync()
    {
        try
        {
            while (true)
            {
                OutgoingFrame frame;
                lock (_gate)
                {
                    if (!_outgoing.TryDequeue(out frame))
                    {
                        _sending = false;
                        return;
                    }

                    Interlocked.Add(ref _outgoingBytes, -frame.Payload.Length);
                    ResumeReadingIfBelowLimitsLocked();
                }

                if (frame.IsClose)
                {
                    _abort.CancelAfter(_limits.CloseTimeout);
                    try
                    {
                        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                        {
                            await _socket.CloseOutputAsync(frame.CloseStatus!.Value, frame.CloseReason, _abort.Token).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        _closeSent.TrySetResult();
                    }

                    return;
                }

                try
                {
                    var type = frame.Kind == MessageKind.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
                    await _socket.SendAsync(frame.Payload.Memory, type, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
                }
                finally
                {
                    frame.Payload.Return();
                }
            }
        }
        catch (Exception error) when (error is OperationCanceledException or WebSocketException or System.IO.IOException or ObjectDisposedException or InvalidOperationException)
        {
            SendFailed();
        }
    }

    private Task? ReadingGate()
    {
        // Closing: keep reading, or the peer's answer to our close would never be seen.
        if (_closeQueued || !OverReadingLimits())
        {
            return null;
        }

        lock (_gate)
        {
            if (_closeQueued || !OverReadingLimits())
            {
                return null;
            }

            _readingResumed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

            // 1C may have taken messages between the look above and the pause becoming visible to
            // it (OnMessageTaken looks for a pause only after counting): look at the counts again
            // now that it is visible, so such a take cannot leave reading paused for good.
            Interlocked.MemoryBarrier();
            var paused = _readingResumed.Task;
            ResumeReadingIfBelowLimitsLocked();
            return paused.IsCompleted ? null : paused;
        }
    }

    private bool OverReadingLimits() =>
        Volatile.Read(ref _pendingMessages) >= _limits.MaxPendingMessagesPerConnection
        || Interlocked.Read(ref _pendingBytes) >= _limits.MaxPendingBytesPerConnection
        || Interlocked.Read(ref _outgoingBytes) >= _limits.MaxOutgoingBytesPerConnection / 2;

    private void ResumeReadingIfBelowLimitsLocked()
    {
        if (_readingResumed is { } paused
            && Volatile.Read(ref _pendingMessages) <= _limits.MaxPendingMessagesPerConnection / 2
            && Interlocked.Read(ref _pendingBytes) <= _limits.MaxPendingBytesPerConnection / 2
            && _outgoingBytes <= _limits.MaxOutgoingBytesPerConnection / 4)
        {
            paused.TrySetResult();
            _readingResumed = null;
        }
    }

    private void QueueCloseLocked(WebSocketCloseStatus status, string reason)
    {
        _closeQueued = true;
        _readingResumed?.TrySetResult();
        _readingResumed = null;
        _outgoing.Enqueue(OutgoingFrame.Close(status, reason));
    }

    private void DropQueuedLocked()
    {
        while (_outgoing.TryDequeue(out var frame))
        {
            frame.Payload.Return();
        }

        Interlocked.Exchange(ref _outgoingBytes, 0);
    }

    private void Finish()
    {
        lock (_gate)
        {
            _finished = true;
            _readingResumed?.TrySetResult();
            _readingResumed = null;
            _closeSent.TrySetResult();
            if (!_sending)
            {
                DropQueuedLocked();
            }
        }

        // No abort (and no cancellation, which aborts too): a close frame the WebSocket wrote on a
        // protocol error (1002, 1007) must reach the peer before the connection ends. Disposing
        // ends any send still pending.
        _socket.Dispose();
        _onFinished?.Invoke(this);
    }
}
