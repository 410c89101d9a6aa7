using System;
using System.Linq;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using System.Threading;
using System.Threading.Tasks;
using WebSocketAddIn.Engine.Connections;
using WebSocketAddIn.Engine.Messaging;
using WebSocketAddIn.Engine.Tls;

namespace WebSocketAddIn.Engine.Client;

/// <summary>
/// A WebSocket client on ClientWebSocket. Messages that arrive while 1C code is busy wait in a
/// queue (reading pauses when it is full, so none is lost); once the connection is over, Receive
/// hands out what is left and then returns false at once.
/// </summary>
public sealed class WebSocketClient : IDisposable
{
    private const long ConnectionId = 1;

    private readonly Lock _gate = new();
    private readonly InboundMailbox _inbound = new();
    private WebSocketConnection? _connection;
    private TaskCompletionSource? _finished;
    private bool _disconnecting;

    // While a connection is being made: what Disconnect cancels, and what it waits for.
    private CancellationTokenSource? _connecting;
    private Task? _connectTask;

    // Counted for the memory reclaimer, not limited: MaxMessageSize and the pending-queue limits
    // bound what one connection holds.
    private readonly MemoryBudget _budget = new(0);
    private ClientState _state = ClientState.NotConnected;

    /// <summary>
    /// The client's Status as 1C reads it. A connection we are closing because the server broke a
    /// limit (or stopped reading) reads Broken at once, so that Status and the error of a refused
    /// Send agree.
    /// </summary>
    public ClientState State
    {
        get
        {
            lock (_gate)
            {
                if (_state == ClientState.Connected && _connection is { } connection && !_disconnecting
                    && connection.Cause is not CloseCause.None and not CloseCause.PeerClosed and not CloseCause.Closed)
                {
                    return ClientState.Broken;
                }

                return _state;
            }
        }
    }

    /// <summary>Why the current or last connection ended or is ending; None while it is open.</summary>
    public CloseCause Cause => _connection?.Cause ?? CloseCause.None;

    /// <summary>The message memory of this client, counted.</summary>
    public MemoryBudget Budget => _budget;

    /// <summary>The URL of the current or last connection, "" before the first.</summary>
    public string Url { get; private set; } = string.Empty;

    public string Subprotocol => _connection?.Subprotocol ?? string.Empty;

    /// <summary>The close code of the last connection once it is over or closing (1006 when it broke), 0 before.</summary>
    public int CloseCode => _connection is { IsOpen: false } connection ? connection.CloseCode : 0;

    /// <summary>The reason that came with <see cref="CloseCode"/>.</summary>
    public string CloseReason => _connection is { IsOpen: false } connection ? connection.CloseReason : string.Empty;

    /// <summary>Called on a background thread once a connection has ended and State says how (for the "disconnected" external event).</summary>
    public Action? ConnectionEnded { get; set; }

    /// <summary>Called on a background thread each time a message is queued for 1C (for ExternalEvent notifications).</summary>
    public Action? InboundAvailable
    {
        get => _inbound.Available;
        set => _inbound.Available = value;
    }

    /// <summary>Connects, or throws <see cref="ClientConnectException"/> naming the cause. Blocks up to the settings' timeout.</summary>
    public void Connect(ClientSettings settings) => StartConnect(settings, opened: null).GetAwaiter().GetResult();

    /// <summary>
    /// Starts connecting and returns at once; State reads Connecting until the task ends, which it
    /// does as <see cref="Connect"/> would return or throw. Throws at once (not in the task) when a
    /// connection is open or being made.
    /// </summary>
    /// <param name="opened">Called once the connection is open, before its first message can be announced.</param>
    public Task StartConnect(ClientSettings settings, Action? opened)
    {
        var cancel = new CancellationTokenSource();
        lock (_gate)
        {
            if ((_state == ClientState.Connected && _connection is { IsOpen: true }) || _state == ClientState.Connecting)
            {
                cancel.Dispose();
                throw new ClientConnectException(_state == ClientState.Connecting ? ConnectFailure.AlreadyConnecting : ConnectFailure.AlreadyConnected, Url);
            }

            _state = ClientState.Connecting;
            _connecting = cancel;
            Url = settings.Url.OriginalString;
        }

        var connecting = ConnectAsync(settings, cancel, opened);
        lock (_gate)
        {
            _connectTask = connecting;
        }

        return connecting;
    }

    private async Task ConnectAsync(ClientSettings settings, CancellationTokenSource cancel, Action? opened)
    {
        var socket = new ClientWebSocket();
        var upgrade = new UpgradeHandler(CreateHandler(settings), offeredCompression: settings.Compression is not null);
        var invoker = new HttpMessageInvoker(upgrade);
        try
        {
            Configure(socket.Options, settings);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token);
            timeout.CancelAfter(settings.ConnectTimeout);
            try
            {
                await socket.ConnectAsync(settings.Url, invoker, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception error) when (cancel.IsCancellationRequested)
            {
                throw new ClientConnectException(ConnectFailure.Cancelled, settings.Url.OriginalString, inner: error);
            }
            catch (Exception error)
            {
                throw Classify(error, socket, settings, timeout.IsCancellationRequested);
            }
        }
        catch (Exception failure)
        {
            lock (_gate)
            {
                // Disconnect during the attempt leaves the client simply not connected.
                _state = failure is ClientConnectException { Failure: ConnectFailure.Cancelled } ? ClientState.NotConnected : ClientState.Broken;
                _connecting = null;
            }

            cancel.Dispose();
            socket.Dispose();
            invoker.Dispose();
            throw;
        }

        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var compressed = socket.HttpResponseHeaders?.Keys.Any(static name => name.Equals("Sec-WebSocket-Extensions", StringComparison.OrdinalIgnoreCase)) == true;
        var connection = new WebSocketConnection(ConnectionId, settings.Url.OriginalString, socket, upgrade.Transport, serverSide: false, compressed, settings.Limits, _budget, _inbound.Deliver, OnFinished);
        _ = finished.Task.ContinueWith(static (_, invoker) => ((HttpMessageInvoker)invoker!).Dispose(), invoker, TaskScheduler.Default);
        bool cancelled;
        lock (_gate)
        {
            _connecting = null;
            cancelled = cancel.IsCancellationRequested;
            _connection = connection;
            _finished = finished;
            _disconnecting = cancelled;
            _state = ClientState.Connected;
            _inbound.Open();
        }

        cancel.Dispose();
        if (!cancelled)
        {
            opened?.Invoke();
        }

        _ = Task.Run(connection.RunAsync);
        if (cancelled)
        {
            // Disconnect came as the upgrade completed: close what was just opened, as Disconnect would.
            connection.Close(WebSocketCloseStatus.NormalClosure, string.Empty);
            throw new ClientConnectException(ConnectFailure.Cancelled, settings.Url.OriginalString);
        }
    }

    /// <summary>Queues a message; false when not connected.</summary>
    public bool Send(MessageKind kind, Payload payload)
    {
        var connection = _connection;
        if (connection is null || _state != ClientState.Connected)
        {
            payload.Return();
            return false;
        }

        return connection.Send(kind, payload);
    }

    public bool TryReceive(int timeout, out InboundMessage message) => _inbound.TryTake(timeout, out message);

    /// <summary>A message taken by <see cref="TryReceive"/> that could not be handed to 1C: the next take gives it again.</summary>
    public void PutBack(InboundMessage message) => _inbound.PutBack(message);

    /// <summary>Closing handshake (1000) after what was queued, waiting for it at most the close timeout. Never throws.</summary>
    public void Disconnect()
    {
        WebSocketConnection? connection;
        Task? finished;
        Task? connecting = null;
        CancellationTokenSource? cancel = null;
        lock (_gate)
        {
            if (_state == ClientState.Connecting)
            {
                cancel = _connecting;
                connecting = _connectTask;
            }
        }

        // Outside the lock: the attempt's own continuation may run inside Cancel and take it.
        try
        {
            cancel?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The attempt ended meanwhile.
        }

        // A connection being made ends at once when cancelled; bounded anyway, so that 1C is never held.
        connecting?.ContinueWith(static _ => { }, TaskScheduler.Default).Wait(TimeSpan.FromSeconds(3));
        lock (_gate)
        {
            connection = _connection;
            finished = _finished?.Task;
            _disconnecting = true;
        }

        if (connection is null)
        {
            return;
        }

        connection.Close(WebSocketCloseStatus.NormalClosure, string.Empty);
        if (finished is not null && !finished.Wait(TimeSpan.FromSeconds(3)))
        {
            connection.Abort();
            finished.Wait(TimeSpan.FromSeconds(1));
        }

        lock (_gate)
        {
            _state = ClientState.NotConnected;
        }
    }

    public void Dispose()
    {
        Disconnect();
        _inbound.Discard();
    }

    private void OnFinished(WebSocketConnection connection)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(connection, _connection))
            {
                return;
            }

            // A close the server began, or ours on Disconnect, leaves the client "not connected"; a
            // break, or a close we began because the server broke a rule, leaves it broken.
            var clean = _disconnecting || connection.Cause is CloseCause.PeerClosed or CloseCause.Closed;
            _state = clean ? ClientState.NotConnected : ClientState.Broken;
            _inbound.Close();
            _finished?.TrySetResult();
        }

        ConnectionEnded?.Invoke();
    }

    /// <summary>
    /// The HTTP handler of one connection attempt. Redirects are not followed, as browsers do not
    /// follow them for WebSockets: a redirect would carry the custom headers 1C passed (an API key)
    /// to another host. TLS 1.2 and 1.3 only, whatever the system allows.
    /// </summary>
    private static SocketsHttpHandler CreateHandler(ClientSettings settings)
    {
        var policy = settings.CertificatePolicy;
        return new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.Zero,
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = TlsVersions.Allowed,
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) => policy.Validate(certificate, chain, errors),
            },
        };
    }

    private static void Configure(ClientWebSocketOptions options, ClientSettings settings)
    {
        options.CollectHttpResponseDetails = true;
        if (settings.Compression is { } compression)
        {
            options.DangerousDeflateOptions = new WebSocketDeflateOptions
            {
                ClientMaxWindowBits = compression.WindowBits,
                ClientContextTakeover = compression.ContextTakeover,
            };
        }

        options.KeepAliveInterval = settings.Limits.KeepAliveInterval;
        if (settings.Limits.KeepAliveTimeout > TimeSpan.Zero)
        {
            options.KeepAliveTimeout = settings.Limits.KeepAliveTimeout;
        }

        foreach (var (name, value) in settings.Headers)
        {
            try
            {
                if (string.Equals(name, "Sec-WebSocket-Protocol", StringComparison.OrdinalIgnoreCase))
                {
                    foreach (var protocol in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        options.AddSubProtocol(protocol);
                    }
                }
                else
                {
                    options.SetRequestHeader(name, value);
                }
            }
            catch (ArgumentException error)
            {
                throw new ClientConnectException(ConnectFailure.InvalidHeaders, $"{name}: {error.Message}", inner: error);
            }
        }
    }

    private static ClientConnectException Classify(Exception error, ClientWebSocket socket, ClientSettings settings, bool timedOut)
    {
        if (timedOut || error is OperationCanceledException)
        {
            return new ClientConnectException(ConnectFailure.Timeout, $"{settings.ConnectTimeout.TotalMilliseconds:0}", inner: error);
        }

        var status = (int)socket.HttpStatusCode;
        if (status is >= 300 and < 400)
        {
            var location = socket.HttpResponseHeaders?.FirstOrDefault(h => string.Equals(h.Key, "Location", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();
            return new ClientConnectException(ConnectFailure.Redirected, location ?? string.Empty, status, error);
        }

        if (status != 0 && status != 101)
        {
            return new ClientConnectException(ConnectFailure.UpgradeRejected, socket.HttpStatusCode.ToString(), status, error);
        }

        for (var cause = error; cause is not null; cause = cause.InnerException)
        {
            switch (cause)
            {
                case UnexpectedExtensionException unexpected:
                    return new ClientConnectException(ConnectFailure.ExtensionNotOffered, unexpected.Extension, inner: error);
                case AuthenticationException:
                    return CertificateFailure(settings, error) ?? new ClientConnectException(ConnectFailure.TlsFailed, cause.Message, inner: error);
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return new ClientConnectException(ConnectFailure.Refused, settings.Url.Authority, inner: error);
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData }:
                    return new ClientConnectException(ConnectFailure.HostNotFound, settings.Url.Host, inner: error);
                case SocketException { SocketErrorCode: SocketError.TimedOut }:
                    return new ClientConnectException(ConnectFailure.Timeout, $"{settings.ConnectTimeout.TotalMilliseconds:0}", inner: error);
                case HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError }:
                    return new ClientConnectException(ConnectFailure.HostNotFound, settings.Url.Host, inner: error);
            }
        }

        // Our certificate check refused the server, though the TLS stack did not say so with an
        // AuthenticationException (Wine's schannel fails to send the alert and reports 0x80090302).
        return CertificateFailure(settings, error) ?? new ClientConnectException(ConnectFailure.Failed, Innermost(error).Message, inner: error);
    }

    /// <summary>What our certificate check found wrong in the last handshake, or null if it found nothing.</summary>
    private static ClientConnectException? CertificateFailure(ClientSettings settings, Exception error)
    {
        var errors = settings.CertificatePolicy.LastErrors;
        if (errors == SslPolicyErrors.None)
        {
            return null;
        }

        if (settings.CertificatePolicy.LastOutOfDate is { } outOfDate)
        {
            return new ClientConnectException(ConnectFailure.CertificateExpired, settings.Url.Host, inner: error) { CertificateDate = outOfDate };
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return new ClientConnectException(ConnectFailure.CertificateNameMismatch, settings.Url.Host, inner: error);
        }

        return new ClientConnectException(ConnectFailure.CertificateUntrusted, settings.Url.Host, inner: error);
    }

    private static Exception Innermost(Exception error)
    {
        while (error.InnerException is not null)
        {
            error = error.InnerException;
        }

        return error;
    }
}
