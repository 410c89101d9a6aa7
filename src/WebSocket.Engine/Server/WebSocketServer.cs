using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.HttpOverrides;
using WebSocketAddIn.Engine.Connections;
using WebSocketAddIn.Engine.Diagnostics;
using WebSocketAddIn.Engine.Messaging;
using WebSocketAddIn.Engine.Tls;
using WebSocketAddIn.Engine.Transport;

namespace WebSocketAddIn.Engine.Server;

/// <summary>
/// A WebSocket server on Kestrel, in-process. Accepted connections feed one inbound queue that 1C
/// code polls; each connection has its own outgoing queue. Start and Stop may be repeated; ids go
/// on counting across them, so an id never names two connections while the object lives.
/// </summary>
public sealed class WebSocketServer : IDisposable
{
    private const int TransportReadBuffer = 64 * 1024;

    // A client has this long to complete TLS and send its upgrade request.
    private static readonly TimeSpan HandshakeLimit = TimeSpan.FromSeconds(10);

    // Connection items key: the connection came to the push endpoint's listener.
    private static readonly object PushConnection = new();

    // Connection items key: a request was seen on the connection.
    private static readonly object RequestSeen = new();

    // HttpContext.Items key: the peer's address before the forwarded-headers middleware ran.
    private static readonly object PeerItem = new();

    private readonly Lock _lifecycle = new();
    private readonly InboundMailbox _inbound = new();

    // One delegate for every connection (a method group would allocate one per connection).
    private readonly Func<InboundMessage, bool> _deliver;
    private readonly ConcurrentDictionary<long, WebSocketConnection> _connections = new();
    private readonly Lock _connectionsGate = new();
    private long _lastId;
    private WebApplication? _app;
    private ServerSettings? _settings;
    private bool _accepting;
    private MemoryBudget _budget = new(ServerSettings.DefaultMemoryBudgetBytes);
    private ServerDiagnostics _diagnostics = new(log: null);
    private PushEndpoint? _push;
    private ListenOptions? _pushListen;

    public WebSocketServer() => _deliver = _inbound.Deliver;

    /// <summary>The interface as the user gave it ("0.0.0.0" for every interface), "" when stopped.</summary>
    public string Interface { get; private set; } = string.Empty;

    /// <summary>The bound port (the real one when started with 0), 0 when stopped.</summary>
    public int Port { get; private set; }

    public bool IsRunning => _app is not null;

    /// <summary>The push endpoint's port (the real one when asked for 0), 0 when there is none.</summary>
    public int PushPort { get; private set; }

    public bool IsSecure => _settings?.Certificate is not null;

    /// <summary>The message memory of the current (or last) run; bodies 1C sends are counted in it too.</summary>
    public MemoryBudget Budget => _budget;

    /// <summary>Called on a background thread each time something is queued for 1C (for ExternalEvent notifications).</summary>
    public Action? InboundAvailable
    {
        get => _inbound.Available;
        set => _inbound.Available = value;
    }

    public void Start(ServerSettings settings)
    {
        lock (_lifecycle)
        {
            if (_app is not null)
            {
                throw new ServerStartException(StartFailure.AlreadyRunning, $"{Interface}:{Port}");
            }

            var endpoints = ResolveInterface(settings.Interface);
            ServerDiagnostics diagnostics;
            try
            {
                diagnostics = new ServerDiagnostics(settings.Log);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw new ServerStartException(StartFailure.LogUnwritable, $"{settings.Log?.Path}: {error.Message}", error);
            }

            _diagnostics.DisposeAsync().AsTask().GetAwaiter().GetResult();
            _diagnostics = diagnostics;
            var app = Build(settings, endpoints);
            try
            {
                _settings = settings;
                _budget = new MemoryBudget(settings.MemoryBudgetBytes);
                _accepting = true;
                _inbound.Open();
                app.StartAsync().GetAwaiter().GetResult();
            }
            catch (Exception error)
            {
                _accepting = false;
                _inbound.Close();
                _settings = null;
                DisposeApp(app);
                throw TranslateBindError(error, settings.Port);
            }

            _app = app;
            PushPort = _pushListen?.IPEndPoint?.Port ?? 0;
            Port = BoundPort(app, PushPort);
            Interface = settings.Interface.Length == 0 ? "0.0.0.0" : settings.Interface;
        }
    }

    /// <summary>
    /// Stops accepting, releases the port at once, closes every connection with 1001 and drops
    /// those that do not answer within the close timeout. Messages already received stay queued.
    /// </summary>
    public void Stop()
    {
        lock (_lifecycle)
        {
            var app = _app;
            if (app is null)
            {
                return;
            }

            List<WebSocketConnection> open;
            lock (_connectionsGate)
            {
                _accepting = false;
                open = [.. _connections.Values];
            }

            foreach (var connection in open)
            {
                connection.Close(WebSocketCloseStatus.EndpointUnavailable, "Server stopping");
            }

            _inbound.Close();
            var closeTimeout = _settings?.Limits.CloseTimeout ?? TimeSpan.FromSeconds(2);
            using (var graceful = new CancellationTokenSource(closeTimeout))
            {
                try
                {
                    // Kestrel unbinds the listeners first, then waits for the connections until the token fires.
                    app.StopAsync(graceful.Token).GetAwaiter().GetResult();
                }
                catch (Exception error) when (error is OperationCanceledException or IOException or ObjectDisposedException)
                {
                    // Stopping is best effort past this point: whatever is left is aborted below.
                }
            }

            foreach (var connection in _connections.Values)
            {
                connection.Abort();
            }

            DisposeApp(app);
            _settings?.Certificate?.Dispose();
            _settings = null;
            _app = null;

            // The log file is closed with the run; its counters stay readable until the next Run.
            _diagnostics.CloseLog();
            Port = 0;
            Interface = string.Empty;
        }
    }

    /// <summary>Queues a message for a client; false when there is no such open connection.</summary>
    public bool Send(long connectionId, MessageKind kind, Payload payload)
    {
        if (_connections.TryGetValue(connectionId, out var connection))
        {
            return connection.Send(kind, payload);
        }

        payload.Return();
        return false;
    }

    /// <summary>Takes the next message; waits up to <paramref name="timeout"/> ms (Timeout.Infinite: until one comes or the server stops).</summary>
    public bool TryReceive(int timeout, out InboundMessage message) => _inbound.TryTake(timeout, out message);

    /// <summary>A message taken by <see cref="TryReceive"/> that could not be handed to 1C: the next take gives it again.</summary>
    public void PutBack(InboundMessage message) => _inbound.PutBack(message);

    /// <summary>Queues one message for many connections (all open ones when <paramref name="connectionIds"/> is null) without copying it; returns how many took it.</summary>
    public int Broadcast(MessageKind kind, Payload payload, IReadOnlyCollection<long>? connectionIds)
    {
        List<WebSocketConnection> targets = [];
        if (connectionIds is null)
        {
            targets.AddRange(_connections.Values.Where(c => c.IsOpen));
        }
        else
        {
            foreach (var id in connectionIds.Distinct())
            {
                if (_connections.TryGetValue(id, out var connection) && connection.IsOpen)
                {
                    targets.Add(connection);
                }
            }
        }

        if (targets.Count == 0)
        {
            payload.Return();
            return 0;
        }

        var shared = payload.Share(targets.Count);
        var queued = 0;
        foreach (var connection in targets)
        {
            // Queued: the 1C thread must not write to thousands of sockets itself.
            if (connection.Send(kind, shared, inline: false))
            {
                queued++;
            }
        }

        return queued;
    }

    /// <summary>The counters of the current (or last) run, as JSON text.</summary>
    public string Statistics() => _diagnostics.Describe([.. _connections.Values], _inbound.Count, _budget);

    /// <summary>The upgrade request of an open connection, or null.</summary>
    public ConnectionRequest? RequestOf(long connectionId) =>
        _connections.TryGetValue(connectionId, out var connection) ? connection.Request : null;

    /// <summary>Closes a connection after what was queued for it (1000 unless told otherwise); true if it was open.</summary>
    public bool Disconnect(long connectionId, WebSocketCloseStatus status = WebSocketCloseStatus.NormalClosure, string reason = "") =>
        _connections.TryGetValue(connectionId, out var connection) && connection.Close(status, reason);

    public bool IsConnected(long connectionId) => _connections.TryGetValue(connectionId, out var connection) && connection.IsOpen;

    /// <summary>Open connections in id order.</summary>
    public IReadOnlyList<WebSocketConnection> OpenConnections() =>
        [.. _connections.Values.Where(c => c.IsOpen).OrderBy(c => c.Id)];

    public void Dispose()
    {
        Stop();
        _inbound.Discard();
        _diagnostics.CloseLog();
    }

    private WebApplication Build(ServerSettings settings, IPEndPoint[]? endpoints)
    {
        // No configuration sources, no logging providers, no console lifetime: nothing of the 1C
        // process (its working folder, environment, signals, console) is touched by the server.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = Path.GetTempPath() });
        builder.Services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();
        builder.WebHost.UseKestrelCore();

        // What the socket transport reads ahead per connection before it stops reading the socket
        // (1 MiB by default): memory outside the budget, in pinned blocks, held by every peer that
        // sends while its reading is paused (a flood of 50 held 40 MB). Beyond it the kernel's
        // socket buffer waits, as TCP backpressure should.
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions>(
            static sockets => sockets.MaxReadBufferSize = TransportReadBuffer);
        if (settings.Certificate is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;

            // A client that opens a socket and never finishes its handshake is dropped after 10 s (Kestrel's default is 30).
            kestrel.Limits.RequestHeadersTimeout = HandshakeLimit;
            kestrel.Limits.MaxConcurrentUpgradedConnections = settings.Limits.MaxConnections;

            // Kestrel's own read-ahead limit of a connection, kept as low as the transport's (above).
            kestrel.Limits.MaxRequestBufferSize = TransportReadBuffer;
            void Configure(ListenOptions listen)
            {
                listen.Protocols = HttpProtocols.Http1;

                // Outside TLS: a connection that ends without a request (TLS failed, a port scan,
                // the 10 s handshake limit) is counted here, where nothing else sees it.
                listen.Use(next => connection => CountConnectionWithoutRequestAsync(next, connection));
                if (settings.Certificate is { } certificate)
                {
                    listen.UseHttps(new HttpsConnectionAdapterOptions
                    {
                        ServerCertificate = certificate.Leaf,
                        ServerCertificateChain = certificate.Chain,
                        HandshakeTimeout = HandshakeLimit,

                        // Ours to choose, not the system's: Windows Server 2016's schannel and older
                        // OpenSSL configurations on 1C servers still allow TLS 1.0 and 1.1.
                        SslProtocols = TlsVersions.Allowed,
                    });
                }
            }

            if (settings.Push is { } push)
            {
                // Plain HTTP, its own listener: connections to it are marked, and the pipeline sends
                // them to the push endpoint before anything of the WebSocket side sees them.
                kestrel.Listen(push.Endpoint, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1;
                    listen.Use(next => connection =>
                    {
                        connection.Items[PushConnection] = true;
                        return next(connection);
                    });
                    _pushListen = listen;
                });
            }

            if (endpoints is null)
            {
                kestrel.ListenAnyIP(settings.Port, Configure);
            }
            else if (IsLocalhost(settings.Interface) && settings.Port != 0)
            {
                // Both loopbacks, as "localhost" means; Kestrel tolerates one of them missing.
                // With port 0 only IPv4 is bound: two sockets could not share one dynamic port.
                kestrel.ListenLocalhost(settings.Port, Configure);
            }
            else
            {
                foreach (var endpoint in endpoints)
                {
                    kestrel.Listen(new IPEndPoint(endpoint.Address, settings.Port), Configure);
                }
            }
        });

        var app = builder.Build();
        if (settings.Push is { } pushSettings)
        {
            var push = _push = new PushEndpoint(this, pushSettings, settings.Limits.MaxMessageBytes);
            app.Use(next => context =>
            {
                if (context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>()?.Items.ContainsKey(PushConnection) != true)
                {
                    return next(context);
                }

                // Our own limit decides (MaxMessageSize, 413), not Kestrel's 30 MB default.
                if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
                {
                    bodyLimit.MaxRequestBodySize = settings.Limits.MaxMessageBytes + 1L;
                }

                return push.HandleAsync(context);
            });
        }

        var webSocketOptions = new WebSocketOptions
        {
            KeepAliveInterval = settings.Limits.KeepAliveInterval,
            KeepAliveTimeout = settings.Limits.KeepAliveTimeout == TimeSpan.Zero ? Timeout.InfiniteTimeSpan : settings.Limits.KeepAliveTimeout,
        };
        foreach (var origin in settings.Limits.AllowedOrigins)
        {
            webSocketOptions.AllowedOrigins.Add(origin);
        }

        if (settings.TrustedProxies.Count > 0)
        {
            // ASP.NET Core's forwarded-headers middleware decides which hops to believe: only those
            // whose peer is a trusted proxy, from the right; none for a client that connects
            // directly and sends the headers itself.
            var forwarding = new ForwardedHeadersOptions
            {
                ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
                ForwardLimit = null,
            };
            forwarding.KnownProxies.Clear();
            forwarding.KnownIPNetworks.Clear();
            foreach (var network in settings.TrustedProxies)
            {
                forwarding.KnownIPNetworks.Add(network);
            }

            app.Use(next =>
            {
                var middleware = new ForwardedHeadersMiddleware(next, NullLoggerFactory.Instance, Options.Create(forwarding));
                return context =>
                {
                    // The peer as it connected: the proxy, once the middleware names the client.
                    context.Items[PeerItem] = EndpointText.Format(context.Connection.RemoteIpAddress, context.Connection.RemotePort);
                    ForwardedHeader.TranslateInto(context.Request.Headers);
                    return middleware.Invoke(context);
                };
            });
        }

        // Before UseWebSockets, which takes the upgrade feature when a request comes in: the stream
        // its WebSocket is built on becomes our TransportStream over Kestrel's connection.
        app.Use(async (context, next) =>
        {
            if (context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>() is { } items)
            {
                items.Items[RequestSeen] = true;
            }

            await next(context).ConfigureAwait(false);

            // ASP.NET Core's WebSocket middleware answers a foreign Origin with 403 itself.
            if (context.Response.StatusCode == StatusCodes.Status403Forbidden && context.Request.Headers.ContainsKey("Sec-WebSocket-Key"))
            {
                _diagnostics.Refused(Refusal.Origin, PeerOf(context));
            }
        });
        app.Use(static (context, next) =>
        {
            if (context.Features.Get<IHttpUpgradeFeature>() is { } kestrel)
            {
                var upgrade = new TransportUpgradeFeature(kestrel, context.RequestAborted);
                context.Features.Set<IHttpUpgradeFeature>(upgrade);
                if (context.Features.Get<IHttpRequestLifetimeFeature>() is { } lifetime)
                {
                    context.Features.Set<IHttpRequestLifetimeFeature>(new GracefulLifetimeFeature(lifetime, upgrade));
                }
            }

            return next(context);
        });
        app.UseWebSockets(webSocketOptions);
        app.Run(context => AcceptAsync(context, settings));
        return app;
    }

    private async Task AcceptAsync(HttpContext context, ServerSettings settings)
    {
        var limits = settings.Limits;
        if (Handshake.Refusal(context.Request) is { } refusal)
        {
            _diagnostics.Refused(refusal == Handshake.Problem.NotWebSocket ? Refusal.NotWebSocket : Refusal.BadHandshake, PeerOf(context));
            await Handshake.RefuseAsync(context, refusal).ConfigureAwait(false);
            return;
        }

        if (_connections.Count >= limits.MaxConnections || !_accepting)
        {
            _diagnostics.Refused(_accepting ? Refusal.MaxConnections : Refusal.Stopping, PeerOf(context));
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        var offered = context.WebSockets.WebSocketRequestedProtocols;
        var subprotocol = settings.Subprotocols
            .Select(ours => offered.FirstOrDefault(theirs => string.Equals(theirs, ours, StringComparison.OrdinalIgnoreCase)))
            .FirstOrDefault(match => match is not null);
        var request = DescribeRequest(context, subprotocol ?? string.Empty);

        // Kestrel times every write against the minimum response data rate, under a lock that the
        // 1C thread (writing) and the pool (sending) contend for on every message. For a WebSocket
        // our own limits decide when a client that does not read is dropped: the send queue
        // (SendQueueSize, then 1008) and the close timeout.
        if (context.Features.Get<IHttpMinResponseDataRateFeature>() is { } minimumRate)
        {
            minimumRate.MinDataRate = null;
        }

        var accept = new WebSocketAcceptContext { SubProtocol = subprotocol };
        if (settings.Compression is { } compression)
        {
            accept.DangerousEnableCompression = true;
            accept.ServerMaxWindowBits = compression.WindowBits;
            accept.DisableServerContextTakeover = !compression.ContextTakeover;
        }

        var socket = await context.WebSockets.AcceptWebSocketAsync(accept).ConfigureAwait(false);
        var compressed = context.Response.Headers.SecWebSocketExtensions.Count > 0;
        var transport = (context.Features.Get<IHttpUpgradeFeature>() as TransportUpgradeFeature)?.Transport;
        WebSocketConnection connection;
        lock (_connectionsGate)
        {
            if (!_accepting)
            {
                socket.Abort();
                socket.Dispose();
                return;
            }

            connection = new WebSocketConnection(Interlocked.Increment(ref _lastId), request.RemoteAddress, socket, transport, serverSide: true, compressed, limits, _budget, _deliver) { Request = request };
            _connections[connection.Id] = connection;
            _diagnostics.Accepted(connection);
            if (settings.ReportConnectionEvents)
            {
                _inbound.Deliver(new InboundMessage(connection, InboundKind.Connected, Payload.Empty));
            }
        }

        // Kestrel drops writes to a connection whose socket failed, without telling the writer: when
        // it gives up on the connection, so do we, and the connection ends like any other break.
        using var lost = context.RequestAborted.UnsafeRegister(static connection => ((WebSocketConnection)connection!).Abort(), connection);
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(connection.Id, out _);
            _diagnostics.Ended(connection);
            if (settings.ReportConnectionEvents)
            {
                // The close code and reason are read from the connection itself when 1C takes the event.
                _inbound.Deliver(new InboundMessage(connection, InboundKind.Disconnected, Payload.Empty));
            }
        }
    }

    private static ConnectionRequest DescribeRequest(HttpContext context, string subprotocol)
    {
        var headers = new List<KeyValuePair<string, string>>(context.Request.Headers.Count);
        foreach (var (name, values) in context.Request.Headers)
        {
            headers.Add(new(name, values.ToString()));
        }

        var address = EndpointText.Format(context.Connection.RemoteIpAddress, context.Connection.RemotePort);
        var peer = context.Items.TryGetValue(PeerItem, out var item) ? item as string : null;
        var proxy = peer is not null && peer != address ? peer : string.Empty;
        return new ConnectionRequest(
            context.Request.PathBase.Add(context.Request.Path).Value ?? "/",
            context.Request.QueryString.Value ?? string.Empty,
            headers,
            address,
            subprotocol,
            DateTimeOffset.Now,
            proxy,
            context.Request.IsHttps ? "wss" : "ws");
    }

    private async Task CountConnectionWithoutRequestAsync(ConnectionDelegate next, ConnectionContext connection)
    {
        var started = Environment.TickCount64;
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            if (!connection.Items.ContainsKey(RequestSeen))
            {
                var address = connection.RemoteEndPoint is IPEndPoint ip ? EndpointText.Format(ip.Address, ip.Port) : "?";
                var timedOut = Environment.TickCount64 - started >= (long)HandshakeLimit.TotalMilliseconds - 500;
                _diagnostics.Refused(timedOut ? Refusal.HandshakeTimeout : Refusal.DroppedBeforeHandshake, address);
            }
        }
    }

    private static string PeerOf(HttpContext context) => EndpointText.Format(context.Connection.RemoteIpAddress, context.Connection.RemotePort);

    /// <summary>Null for "" (every interface, IPv6 and IPv4); otherwise the addresses to bind.</summary>
    private static IPEndPoint[]? ResolveInterface(string text)
    {
        if (text.Length == 0)
        {
            return null;
        }

        if (IsLocalhost(text))
        {
            return [new IPEndPoint(IPAddress.Loopback, 0)];
        }

        var trimmed = text.StartsWith('[') && text.EndsWith(']') ? text[1..^1] : text;
        if (!IPAddress.TryParse(trimmed, out var address) || !LooksLikeAddress(trimmed))
        {
            throw new ServerStartException(StartFailure.InvalidAddress, text);
        }

        return [new IPEndPoint(address, 0)];
    }

    private static bool IsLocalhost(string text) => string.Equals(text, "localhost", StringComparison.OrdinalIgnoreCase);

    /// <summary>IPAddress.TryParse also takes "1" or "10.1" (as 0.0.0.1, 10.0.0.1); a user who wrote those meant something else.</summary>
    private static bool LooksLikeAddress(string text) => text.Contains(':') || text.Count(c => c == '.') == 3;

    private static Exception TranslateBindError(Exception error, int port)
    {
        for (var cause = error; cause is not null; cause = cause.InnerException)
        {
            switch (cause)
            {
                case AddressInUseException:
                case SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }:
                    return new ServerStartException(StartFailure.PortInUse, port.ToString(System.Globalization.CultureInfo.InvariantCulture), error);
                case SocketException { SocketErrorCode: SocketError.AddressNotAvailable }:
                    return new ServerStartException(StartFailure.AddressNotAvailable, cause.Message, error);
                case SocketException { SocketErrorCode: SocketError.AccessDenied }:
                    return new ServerStartException(StartFailure.PermissionDenied, cause.Message, error);
            }
        }

        return new ServerStartException(StartFailure.BindFailed, error.Message, error);
    }

    /// <summary>The WebSocket listener's port: the first bound address that is not the push endpoint's.</summary>
    private static int BoundPort(WebApplication app, int pushPort)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses)
        {
            var port = new Uri(address.Replace("*", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal)).Port;
            if (port != pushPort)
            {
                return port;
            }
        }

        return 0;
    }

    private static void DisposeApp(WebApplication app)
    {
        try
        {
            app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        catch (Exception error) when (error is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // Disposal after a failed start or a stop: nothing more to release.
        }
    }
}
