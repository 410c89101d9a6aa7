// kestrel-echo: the reference WebSocket echo server of bench/ (issue 4). ASP.NET Core Kestrel,
// NativeAOT, the handler echoing in-process: each message goes back on its connection as it came
// (text as text, binary as binary), from one pooled buffer per connection.
//
//   kestrel-echo [--host 127.0.0.1] [--port 0] [--cert CERT.pem --key KEY.pem] [--no-ping-timeout]
//                [--max-message BYTES] [--deflate] [--push-secret SECRET]
//
// POST /push or /broadcast (the add-in's path) (with the header X-Push-Secret: SECRET when --push-secret is given) sends the body as
// a text message to every open connection and answers 200 with the number of connections: the
// reference for the add-in's push endpoint (issue 11), measured by bench/tools/wsbench --mode push.
//
// --max-message: a longer message closes its connection with 1009, as the add-in's
// МаксимальныйРазмерСообщения does (default the add-in's 64 MiB; without a bound the burst
// scenario's endless fragmented messages would grow this server without end). --deflate accepts
// permessage-deflate when the client offers it (WebSocketAcceptContext.DangerousEnableCompression,
// the framework's defaults: 15 window bits, context takeover).
//
// Prints ws://HOST:PORT/ (wss:// with a certificate) once listening. A text message
// "!broadcast BODY" is not echoed: BODY is sent once to every open connection (the sender
// included), the broadcast scenario of bench/run.sh; bench/tools/wsbcast measures it.
using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace KestrelEcho;

internal static class Program
{
    private const int ReceiveChunk = 4096;
    private static readonly byte[] BroadcastPrefix = "!broadcast "u8.ToArray();
    private static readonly ConcurrentDictionary<long, Connection> Connections = new();
    private static long _lastId;
    private static int _maxMessage = 64 * 1024 * 1024;
    private static bool _deflate;
    private static byte[]? _pushSecret;

    public static async Task<int> Main(string[] args)
    {
        var host = "127.0.0.1";
        var port = 0;
        string? cert = null, key = null;
        var pingTimeout = TimeSpan.FromSeconds(30);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} wants a value");
            switch (args[i])
            {
                case "--host": host = Next(); break;
                case "--port": port = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--cert": cert = Next(); break;
                case "--key": key = Next(); break;
                case "--no-ping-timeout": pingTimeout = Timeout.InfiniteTimeSpan; break;
                case "--max-message": _maxMessage = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--deflate": _deflate = true; break;
                case "--push-secret": _pushSecret = System.Text.Encoding.UTF8.GetBytes(Next()); break;
                default:
                    Console.Error.WriteLine("usage: kestrel-echo [--host H] [--port N] [--cert CERT.pem --key KEY.pem] [--no-ping-timeout] [--max-message BYTES] [--deflate]");
                    return 2;
            }
        }

        var certificate = cert is null ? null : LoadCertificate(cert, key);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = args });
        builder.WebHost.UseKestrelCore();
        if (certificate is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Parse(host), port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
        });

        var app = builder.Build();
        // The add-in's defaults (ПериодПинга, ТаймаутПинга): a ping every 30 s, and a client that
        // does not answer it within 30 s is dropped. A separate server put in front of 1C needs
        // the same dead-peer detection, and System.Net.WebSockets charges for it on every frame.
        // --no-ping-timeout measures the reference without it.
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30), KeepAliveTimeout = pingTimeout });
        app.Run(HandleAsync);
        await app.StartAsync().ConfigureAwait(false);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var bound = new Uri(address).Port;
        var shown = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;
        Console.Out.Write($"{(certificate is null ? "ws" : "wss")}://{shown}:{bound}/\n");
        Console.Out.Flush();

        using var stop = new ManualResetEventSlim();
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Set(); });
        using var intr = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, ctx => { ctx.Cancel = true; stop.Set(); });
        stop.Wait();
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await app.StopAsync(grace.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Connections still open after the grace period are dropped.
        }

        return 0;
    }

    private static X509Certificate2 LoadCertificate(string certPath, string? keyPath)
    {
        using var pem = X509Certificate2.CreateFromPemFile(certPath, keyPath);
        // An ephemeral PEM key is re-imported as PKCS#12 so SslStream can use it everywhere.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    private static async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            if ((context.Request.Path == "/push" || context.Request.Path == "/broadcast") && HttpMethods.IsPost(context.Request.Method))
            {
                await PushAsync(context).ConfigureAwait(false);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { DangerousEnableCompression = _deflate }).ConfigureAwait(false);
        var connection = new Connection(socket);
        var id = Interlocked.Increment(ref _lastId);
        Connections[id] = connection;
        var buffer = ArrayPool<byte>.Shared.Rent(ReceiveChunk);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await connection.CloseAsync().ConfigureAwait(false);
                    return;
                }

                length += result.Count;
                if (length > _maxMessage)
                {
                    await connection.CloseAsync(WebSocketCloseStatus.MessageTooBig).ConfigureAwait(false);
                    return;
                }

                if (!result.EndOfMessage)
                {
                    continue;
                }

                if (result.MessageType == WebSocketMessageType.Text && length >= BroadcastPrefix.Length && buffer[0] == (byte)'!'
                    && buffer.AsSpan(0, BroadcastPrefix.Length).SequenceEqual(BroadcastPrefix))
                {
                    await BroadcastAsync(buffer.AsSpan(BroadcastPrefix.Length, length - BroadcastPrefix.Length).ToArray()).ConfigureAwait(false);
                }
                else
                {
                    await connection.SendAsync(buffer.AsMemory(0, length), result.MessageType).ConfigureAwait(false);
                }

                if (buffer.Length > ReceiveChunk)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(ReceiveChunk);
                }

                length = 0;
            }
        }
        catch (Exception error) when (error is WebSocketException or OperationCanceledException or System.IO.IOException or ObjectDisposedException)
        {
            // The client went away.
        }
        finally
        {
            Connections.TryRemove(id, out _);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task PushAsync(HttpContext context)
    {
        if (_pushSecret is not null)
        {
            var given = System.Text.Encoding.UTF8.GetBytes(context.Request.Headers["X-Push-Secret"].ToString());
            if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(given, _pushSecret))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }
        }

        using var body = new System.IO.MemoryStream();
        await context.Request.Body.CopyToAsync(body).ConfigureAwait(false);
        await BroadcastAsync(body.ToArray()).ConfigureAwait(false);
        var count = Connections.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.ContentType = "text/plain";
        context.Response.ContentLength = count.Length;
        await context.Response.WriteAsync(count).ConfigureAwait(false);
    }

    /// <summary>Sends one body to every open connection: each send starts at once (most complete synchronously into the socket), the rest are awaited together.</summary>
    private static async Task BroadcastAsync(byte[] body)
    {
        List<Task>? pending = null;
        foreach (var connection in Connections.Values)
        {
            var send = connection.SendAsync(body, WebSocketMessageType.Text);
            if (!send.IsCompletedSuccessfully)
            {
                (pending ??= []).Add(send.AsTask());
            }
        }

        if (pending is not null)
        {
            try
            {
                await Task.WhenAll(pending).ConfigureAwait(false);
            }
            catch (Exception error) when (error is WebSocketException or OperationCanceledException or System.IO.IOException or ObjectDisposedException)
            {
                // A receiver went away meanwhile.
            }
        }
    }

    /// <summary>A socket and the lock that keeps its sends (echoes and broadcasts) one at a time.</summary>
    private sealed class Connection(WebSocket socket)
    {
        private readonly SemaphoreSlim _sending = new(1, 1);

        public ValueTask SendAsync(ReadOnlyMemory<byte> body, WebSocketMessageType type)
        {
            if (_sending.Wait(0))
            {
                ValueTask send;
                try
                {
                    send = socket.SendAsync(body, type, endOfMessage: true, CancellationToken.None);
                }
                catch
                {
                    _sending.Release();
                    throw;
                }

                if (send.IsCompletedSuccessfully)
                {
                    _sending.Release();
                    return ValueTask.CompletedTask;
                }

                return ReleaseAfter(send);
            }

            return SendLockedAsync(body, type);
        }

        public async Task CloseAsync(WebSocketCloseStatus status = WebSocketCloseStatus.NormalClosure)
        {
            await _sending.WaitAsync().ConfigureAwait(false);
            try
            {
                if (socket.State == WebSocketState.CloseReceived)
                {
                    await socket.CloseOutputAsync(status, string.Empty, CancellationToken.None).ConfigureAwait(false);
                }
                else if (socket.State == WebSocketState.Open)
                {
                    using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await socket.CloseAsync(status, string.Empty, limit.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                _sending.Release();
            }
        }

        private async ValueTask ReleaseAfter(ValueTask send)
        {
            try
            {
                await send.ConfigureAwait(false);
            }
            finally
            {
                _sending.Release();
            }
        }

        private async ValueTask SendLockedAsync(ReadOnlyMemory<byte> body, WebSocketMessageType type)
        {
            await _sending.WaitAsync().ConfigureAwait(false);
            try
            {
                await socket.SendAsync(body, type, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                _sending.Release();
            }
        }
    }
}
