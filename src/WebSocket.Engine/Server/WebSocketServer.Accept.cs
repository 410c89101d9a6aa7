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
/// What happens to one request that reaches the WebSocket side: the refusals (with their
/// counters), the upgrade, the connection's life, and what 1C is told of it.
/// </summary>
public sealed partial class WebSocketServer
{
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
            Interlocked.Increment(ref _handlers);
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

            Interlocked.Decrement(ref _handlers);
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
}
