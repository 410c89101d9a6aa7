using System;
using System.Collections.Generic;
using System.IO;
using System.Net.WebSockets;
using System.Threading;
using System.Threading.Tasks;
using WebSocketAddIn.Engine.Messaging;
using WebSocketAddIn.Engine.Transport;

namespace WebSocketAddIn.Engine.Connections;

/// <summary>
/// One WebSocket connection, either side (a client accepted by the server, or the client object's
/// own connection): a receive loop that hands whole messages to the inbound queue, and an outgoing
/// queue drained by a pooled work item while there is something to send (no thread or task is
/// parked per idle connection). Reading pauses while too many of this peer's messages wait for 1C,
/// too many replies wait to be sent, or the memory budget is spent: a fast peer is slowed down,
/// never cut off; only one that stops reading altogether is disconnected (1008).
/// </summary>
public sealed class WebSocketConnection
{
    private const int ReceiveChunk = 4096;

    /// <summary>
    /// Larger messages go out as fragments of this size. Each write then hands the socket at most this
    /// much (Wine's WSASend refuses more than 1024 buffers, i.e. 4 MiB of Kestrel's 4 KiB blocks, and a
    /// message over that never arrived), and ManagedWebSocket's send buffer, which it rents from the
    /// process's shared pool for the whole frame, fits a 64 KiB array with the frame's header (the
    /// pool keeps up to 32 arrays of each size per core: 2 MiB ones would stay behind after a
    /// burst). Messages up to this size are sent whole.
    /// </summary>
    public const int SendFragment = (64 * 1024) - 16;

    private readonly WebSocket _socket;
    private readonly TransportStream? _transport;

    // permessage-deflate negotiated: Send never writes on the caller's thread, which is 1C's, since
    // the write would deflate the message there (230 µs of the 1C thread per 16 KiB JSON echo,
    // measured in docs/benchmarks.md); the pool compresses instead.
    private readonly bool _compressed;
    private readonly ConnectionLimits _limits;
    private readonly MemoryBudget _budget;
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
    private volatile bool _broken;
    private bool _finished;
    private WebSocketCloseStatus? _closeSentStatus;
    private string _closeSentReason = string.Empty;
    private CloseCause _cause;

    // Counted without the gate: they change twice per message, on two threads (the receive loop
    // and the 1C thread). The gate is taken only when reading is paused or about to be.
    private int _pendingMessages;
    private long _pendingBytes;
    private volatile TaskCompletionSource? _readingResumed;
    private long _messagesIn;
    private long _messagesOut;

    // Completed once our close frame is out (or can no longer be sent).
    private readonly TaskCompletionSource _closeSent = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public WebSocketConnection(
        long id,
        string remoteAddress,
        WebSocket socket,
        TransportStream? transport,
        bool serverSide,
        bool compressed,
        ConnectionLimits limits,
        MemoryBudget budget,
        Func<InboundMessage, bool> deliver,
        Action<WebSocketConnection>? finished = null)
    {
        Id = id;
        RemoteAddress = remoteAddress;
        _socket = socket;
        _transport = transport;
        _limits = limits;
        _budget = budget;
        _deliver = deliver;
        _onFinished = finished;
        _compressed = compressed;
        _abort.Token.UnsafeRegister(static socket => ((WebSocket)socket!).Abort(), socket);
        // A client's frames must be masked: only the server side checks.
        // With permessage-deflate a frame carries compressed bytes: its declared length may exceed
        // the message by deflate's overhead; what counts against the limit are the inflated bytes.
        var maxFrame = compressed ? limits.MaxMessageBytes + Compression.FrameSlack(limits.MaxMessageBytes) : limits.MaxMessageBytes;
        transport?.GuardFrames(maxFrame, requireMask: serverSide, RefuseFrameAsync);
    }

    public long Id { get; }

    /// <summary>The peer: "127.0.0.1:50312", "[::1]:50313", or the URL for a client connection.</summary>
    public string RemoteAddress { get; }

    /// <summary>The connection ended with a closing handshake (a close frame from the peer), not by breaking.</summary>
    public bool ClosedByHandshake { get; private set; }

    /// <summary>
    /// The close code as 1C code sees it: the peer's when it closed or answered our close; else the
    /// one we sent (1002 or 1007 for a protocol violation, 1009, 1008, 1001); 1006 when the
    /// connection broke without any close frame.
    /// </summary>
    public int CloseCode
    {
        get
        {
            if (ClosedByHandshake)
            {
                return (int)(PeerCloseStatus ?? WebSocketCloseStatus.Empty);
            }

            if (_transport?.CloseCodeWritten is > 0 and var written)
            {
                return written;
            }

            // A close we decided on (1008 for a peer that stopped reading, say) names the end even
            // while it waits behind a send that cannot finish.
            return _closeSentStatus is { } sent ? (int)sent : 1006;
        }
    }

    /// <summary>The close code the peer sent, once it sent one.</summary>
    public WebSocketCloseStatus? PeerCloseStatus => _socket.CloseStatus;

    /// <summary>The reason given with <see cref="CloseCode"/>: the peer's, or ours.</summary>
    public string CloseReason => ClosedByHandshake ? _socket.CloseStatusDescription ?? string.Empty : _closeSentReason;

    /// <summary>Why the connection ended or is closing; <see cref="CloseCause.None"/> while it is open.</summary>
    public CloseCause Cause
    {
        get
        {
            lock (_gate)
            {
                if (_finished || _closeQueued)
                {
                    return _cause;
                }

                return _broken ? CloseCause.Broken : CloseCause.None;
            }
        }
    }

    /// <summary>The upgrade request of a client accepted by the server; null on the client side.</summary>
    public ConnectionRequest? Request { get; init; }

    /// <summary>The subprotocol agreed in the handshake, "" for none.</summary>
    public string Subprotocol => _socket.SubProtocol ?? string.Empty;

    public long MessagesIn => Interlocked.Read(ref _messagesIn);

    public long MessagesOut => Interlocked.Read(ref _messagesOut);

    public long BytesIn => _transport?.BytesRead ?? 0;

    public long BytesOut => _transport?.BytesWritten ?? 0;

    /// <summary>Messages of this peer waiting for 1C.</summary>
    public int PendingMessages => Volatile.Read(ref _pendingMessages);

    /// <summary>Bytes queued for sending to this peer.</summary>
    public long OutgoingBytes => Interlocked.Read(ref _outgoingBytes);

    /// <summary>Open from the user's point of view: not closed, closing, broken or gone.</summary>
    public bool IsOpen
    {
        get
        {
            lock (_gate)
            {
                return !_closeQueued && !_finished && !_broken;
            }
        }
    }

    /// <summary>
    /// Queues a message; false when the connection is closing, broken or gone (the payload is returned either way on failure).
    /// With <paramref name="inline"/>, a message for an idle connection (nothing queued, nothing being sent) is
    /// written by the calling thread itself: ManagedWebSocket frames it into Kestrel's output pipe, which
    /// almost always completes at once, so no pooled work item has to be scheduled and woken for it.
    /// </summary>
    public bool Send(MessageKind kind, Payload payload, bool inline = true)
    {
        bool startDrain;
        lock (_gate)
        {
            if (_closeQueued || _finished || _broken)
            {
                payload.Return();
                return false;
            }

            if (_outgoingBytes + payload.Length > _limits.MaxOutgoingBytesPerConnection)
            {
                payload.Return();
                DropQueuedLocked();
                QueueCloseLocked(WebSocketCloseStatus.PolicyViolation, "Client is not reading", CloseCause.NotReading);

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
            else if (inline && !_sending && !_compressed && payload.Length <= SendFragment)
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
            sending = _socket.SendAsync(payload.Memory, ToMessageType(kind), endOfMessage: true, CancellationToken.None);
        }
        catch (Exception error) when (IsConnectionFailure(error))
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
        Interlocked.Increment(ref _messagesOut);
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
            Interlocked.Increment(ref _messagesOut);
        }
        catch (Exception error) when (IsConnectionFailure(error))
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

    /// <summary>
    /// A write failed: the connection is over, whatever the receive side still believes. It is
    /// aborted, so the receive loop ends and reports it like any other break; what was queued is
    /// dropped, and every later Send returns false.
    /// </summary>
    private void SendFailed()
    {
        _broken = true;
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
    public bool Close(WebSocketCloseStatus status, string reason) => Close(status, reason, CloseCause.Closed);

    private bool Close(WebSocketCloseStatus status, string reason, CloseCause cause)
    {
        bool startDrain;
        lock (_gate)
        {
            if (_closeQueued || _finished)
            {
                return false;
            }

            QueueCloseLocked(status, reason, cause);
            startDrain = !_sending;
            _sending = true;
        }

        if (startDrain)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static connection => _ = connection.DrainAsync(), this, preferLocal: false);
        }

        return true;
    }

    /// <summary>Closes at once, before anything still queued: the peer broke a limit.</summary>
    private void Refuse(WebSocketCloseStatus status, string reason, CloseCause cause)
    {
        bool startDrain;
        lock (_gate)
        {
            if (_closeQueued || _finished)
            {
                return;
            }

            DropQueuedLocked();
            QueueCloseLocked(status, reason, cause);
            startDrain = !_sending;
            _sending = true;
        }

        // A peer that breaks a limit gets the close timeout to answer, as any other.
        _abort.CancelAfter(_limits.CloseTimeout);
        if (startDrain)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static connection => _ = connection.DrainAsync(), this, preferLocal: false);
        }
    }

    /// <summary>
    /// The transport refused a frame (declared longer than the limit: 1009; unmasked from a client:
    /// 1002): the close is sent before the reader sees the end of the stream.
    /// </summary>
    private async ValueTask RefuseFrameAsync(FrameGuard.Problem problem)
    {
        if (problem == FrameGuard.Problem.Unmasked)
        {
            Refuse(WebSocketCloseStatus.ProtocolError, "Client frames must be masked", CloseCause.ProtocolError);
        }
        else
        {
            Refuse(WebSocketCloseStatus.MessageTooBig, "Message too big", CloseCause.MessageTooBig);
        }

        await CloseSentThenStopTheTimerAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// After a refusal: once our close is out, the peer's input is read away by the transport
    /// (bounded by CloseTimeout itself), not waited for through the WebSocket; the abort armed
    /// for a close that cannot be sent is then no longer wanted, as it would turn the end into a reset.
    /// </summary>
    private async Task CloseSentThenStopTheTimerAsync()
    {
        await _closeSent.Task.WaitAsync(_limits.CloseTimeout).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
        if (_closeSent.Task.IsCompleted && !_abort.IsCancellationRequested)
        {
            _abort.CancelAfter(Timeout.InfiniteTimeSpan);
        }
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

    /// <summary>1C took one of this peer's messages: reading may resume.</summary>
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

    /// <summary>1C could not take the message after all (it is put back): it counts as waiting again.</summary>
    public void OnMessageReturned(int length)
    {
        Interlocked.Increment(ref _pendingMessages);
        Interlocked.Add(ref _pendingBytes, length);
    }

    /// <summary>Receives until the peer closes or the connection breaks; completes when the connection is over.</summary>
    public async Task RunAsync()
    {
        var assembly = new MessageAssembly(_budget, _limits.MaxMessageBytes);
        var cause = CloseCause.Broken;
        try
        {
            cause = await ReceiveMessagesAsync(assembly).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!_abort.IsCancellationRequested)
        {
            // ManagedWebSocket aborts by itself only when a ping went unanswered for PingTimeout.
            cause = CloseCause.PingTimeout;
        }
        catch (Exception error) when (IsConnectionFailure(error))
        {
            // A protocol violation (ManagedWebSocket has sent 1002 or 1007 and thrown), a peer that
            // went away, or our abort: the connection is over.
            cause = _transport?.CloseCodeWritten is 1002 or 1007 ? CloseCause.ProtocolError : CloseCause.Broken;
        }
        finally
        {
            assembly.Dispose();
        }

        // After a close frame of ours, read what the peer still sends before the socket closes: a
        // socket closed with unread input answers with a reset, and the peer's kernel would throw
        // away our close frame and what came before it (1002 and 1007 were lost that way).
        if (_transport is { } transport && transport.CloseCodeWritten != 0 && !_abort.IsCancellationRequested && !ClosedByHandshake)
        {
            var quiet = TimeSpan.FromMilliseconds(Math.Min(1000, _limits.CloseTimeout.TotalMilliseconds));
            await transport.DrainAsync(quiet, _limits.CloseTimeout, _limits.DrainLimitBytes).ConfigureAwait(false);
        }

        Finish(cause);
    }

    /// <summary>The receive loop proper; returns how the connection ended when it ends without an exception.</summary>
    private async Task<CloseCause> ReceiveMessagesAsync(MessageAssembly assembly)
    {
        while (true)
        {
            if (_budget.IsSpent && assembly.OverShare && !_closeQueued)
            {
                Refuse(WebSocketCloseStatus.MessageTooBig, "Message too big for the server's memory budget", CloseCause.MemoryBudget);
                await AfterRefusalAsync().ConfigureAwait(false);
                return CloseCause.MemoryBudget;
            }

            if (ReadingGate(assembly.Length == 0) is { } paused)
            {
                if (assembly.Length == 0)
                {
                    assembly.ReleaseIdleBuffer();
                }

                await paused.ConfigureAwait(false);
            }

            ValueWebSocketReceiveResult result;
            if (assembly.Length == 0)
            {
                // No receive buffer is held while the connection is idle: between messages a zero-byte
                // receive waits for the next frame (ManagedWebSocket passes it down to Kestrel, which
                // waits on the socket without a buffer either). The buffer goes back only when that
                // wait would block, so a busy connection keeps it from one message to the next.
                var next = _socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
                if (!next.IsCompleted)
                {
                    assembly.ReleaseIdleBuffer();
                }

                result = await next.ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return await AnswerCloseAsync().ConfigureAwait(false);
                }

                if (result.EndOfMessage)
                {
                    // An empty message.
                    if (!DeliverMessage(result.MessageType, Payload.Empty))
                    {
                        return CloseCause.Closed;
                    }

                    continue;
                }
            }

            switch (await assembly.MakeRoomAsync().ConfigureAwait(false))
            {
                case MessageAssembly.Room.TooBig:
                    Refuse(WebSocketCloseStatus.MessageTooBig, "Message too big", CloseCause.MessageTooBig);
                    await AfterRefusalAsync().ConfigureAwait(false);
                    return CloseCause.MessageTooBig;
                case MessageAssembly.Room.OverShare:
                    Refuse(WebSocketCloseStatus.MessageTooBig, "Message too big for the server's memory budget", CloseCause.MemoryBudget);
                    await AfterRefusalAsync().ConfigureAwait(false);
                    return CloseCause.MemoryBudget;
            }

            result = await _socket.ReceiveAsync(assembly.FreeSpace, CancellationToken.None).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return await AnswerCloseAsync().ConfigureAwait(false);
            }

            assembly.Advance(result.Count);
            if (!result.EndOfMessage || assembly.Length > _limits.MaxMessageBytes)
            {
                // More to come, or one byte past the limit, which MakeRoomAsync turns into 1009.
                continue;
            }

            if (!DeliverMessage(result.MessageType, assembly.TakeMessage()))
            {
                return CloseCause.Closed;
            }
        }
    }

    /// <summary>Queues a whole message for 1C; false when the queue is closed (the server stopped).</summary>
    private bool DeliverMessage(WebSocketMessageType type, Payload payload)
    {
        var kind = type == WebSocketMessageType.Text ? InboundKind.Text : InboundKind.Binary;
        Interlocked.Increment(ref _pendingMessages);
        Interlocked.Add(ref _pendingBytes, payload.Length);
        Interlocked.Increment(ref _messagesIn);
        if (_deliver(new InboundMessage(this, kind, payload)))
        {
            return true;
        }

        payload.Return();
        return false;
    }

    /// <summary>The peer started the closing handshake: answer it once what we had queued is out (or at once if nothing is), then end.</summary>
    private async Task<CloseCause> AnswerCloseAsync()
    {
        ClosedByHandshake = true;
        if (_socket.State != WebSocketState.CloseReceived)
        {
            // The answer to a close of ours: we ended it.
            return _cause is CloseCause.None ? CloseCause.Closed : _cause;
        }

        // If we had queued a close ourselves, it is the answer; otherwise echo the peer's code.
        Close(_socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, string.Empty, CloseCause.PeerClosed);
        await _closeSent.Task.WaitAsync(_limits.CloseTimeout).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
        return CloseCause.PeerClosed;
    }

    /// <summary>
    /// After we refused a message: with a transport of ours, its input is read away once the close
    /// is out (in RunAsync); without one, frames are read and discarded until the peer's close
    /// arrives or time runs out.
    /// </summary>
    private async Task AfterRefusalAsync()
    {
        if (_transport is not null)
        {
            await CloseSentThenStopTheTimerAsync().ConfigureAwait(false);
            return;
        }

        await DrainFramesAfterRefusalAsync().ConfigureAwait(false);
    }

    /// <summary>Reads and discards frames until the peer's close arrives or time runs out.</summary>
    private async Task DrainFramesAfterRefusalAsync()
    {
        var scratch = new byte[ReceiveChunk];
        try
        {
            while (_socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await _socket.ReceiveAsync(scratch.AsMemory(), _abort.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    ClosedByHandshake = true;
                    return;
                }
            }
        }
        catch (Exception error) when (IsConnectionFailure(error))
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
                    await SendMessageAsync(frame.Kind, frame.Payload.Memory).ConfigureAwait(false);
                    Interlocked.Increment(ref _messagesOut);
                }
                finally
                {
                    frame.Payload.Return();
                }
            }
        }
        catch (Exception error) when (IsConnectionFailure(error))
        {
            _closeSent.TrySetResult();
            SendFailed();
        }
    }

    /// <summary>A whole message, in fragments of <see cref="SendFragment"/> when it is larger.</summary>
    private async ValueTask SendMessageAsync(MessageKind kind, ReadOnlyMemory<byte> body)
    {
        var type = ToMessageType(kind);
        if (body.Length <= SendFragment)
        {
            await _socket.SendAsync(body, type, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
            return;
        }

        for (var offset = 0; offset < body.Length; offset += SendFragment)
        {
            var length = Math.Min(SendFragment, body.Length - offset);
            await _socket.SendAsync(body.Slice(offset, length), type, endOfMessage: offset + length == body.Length, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private Task? ReadingGate(bool betweenMessages)
    {
        // Closing: keep reading, or the peer's answer to our close would never be seen.
        if (_closeQueued)
        {
            return null;
        }

        // The server's memory is spent: wait until 1C takes messages or replies go out. A peer with
        // nothing waiting, between messages, may go on a little longer (IsSpentForNewcomers).
        if (_budget.IsSpent)
        {
            var newcomer = betweenMessages && Volatile.Read(ref _pendingMessages) == 0;
            var room = _budget.WaitForRoomAsync(newcomer);
            if (!room.IsCompleted)
            {
                return room;
            }
        }

        if (!OverReadingLimits())
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

    private void QueueCloseLocked(WebSocketCloseStatus status, string reason, CloseCause cause)
    {
        _closeQueued = true;
        _closeSentStatus = status;
        _closeSentReason = reason;
        _cause = cause;
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

    private void Finish(CloseCause cause)
    {
        lock (_gate)
        {
            _finished = true;

            // A close we queued for a reason of our own (a limit, a stop) names the cause; otherwise
            // what the receive loop saw does.
            if (_cause is CloseCause.None or CloseCause.PeerClosed || cause is CloseCause.ProtocolError or CloseCause.PingTimeout)
            {
                _cause = cause;
            }

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

    private static WebSocketMessageType ToMessageType(MessageKind kind) =>
        kind == MessageKind.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary;

    private static bool IsConnectionFailure(Exception error) =>
        error is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException or InvalidOperationException;
}
