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
/// How a run of the server is put together on Kestrel: the listeners (the WebSocket one, TLS,
/// the push endpoint's), Kestrel's limits, and the middlewares in front of the WebSocket one
/// (push, counting, forwarded headers, our transport stream under the WebSocket).
/// </summary>
public sealed partial class WebSocketServer
{
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
}
