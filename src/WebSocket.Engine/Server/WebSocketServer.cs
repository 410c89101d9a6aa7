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
public sealed partial class WebSocketServer : IDisposable
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

    // Connections whose handler has not yet delivered its last event; Stop waits for them.
    private int _handlers;
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

            // The queue stays open while the connections close: what a peer sends before its close
            // answer is still received (a connection that stopped reading it would end with a reset,
            // and the peer would lose our 1001), and each connection's disconnected event is still
            // delivered. Then nothing more comes: a waiting Receive returns.
            var settled = Environment.TickCount64 + 1000;
            while (Volatile.Read(ref _handlers) > 0 && Environment.TickCount64 < settled)
            {
                Thread.Sleep(5);
            }

            _inbound.Close();
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
