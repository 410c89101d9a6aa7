using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using WebSocketAddIn.Engine.Transport;

namespace WebSocketAddIn.Engine.Client;

/// <summary>
/// Sits between ClientWebSocket and the SocketsHttpHandler that sends its upgrade request. On the
/// 101 answer it refuses an extension we never offered (RFC 6455 §4.1: the client must fail the
/// connection; ClientWebSocket ignores it), and hands ClientWebSocket the connection's stream
/// wrapped in our <see cref="TransportStream"/>, as the server side has it.
/// </summary>
internal sealed class UpgradeHandler(HttpMessageHandler inner, bool offeredCompression) : DelegatingHandler(inner)
{
    public TransportStream? Transport { get; private set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.SwitchingProtocols)
        {
            return response;
        }

        if (response.Headers.TryGetValues("Sec-WebSocket-Extensions", out var extensions))
        {
            foreach (var extension in extensions)
            {
                if (!offeredCompression || !extension.TrimStart().StartsWith("permessage-deflate", StringComparison.OrdinalIgnoreCase))
                {
                    response.Dispose();
                    throw new UnexpectedExtensionException(extension);
                }
            }
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        Transport = new TransportStream(stream);
        response.Content = new UpgradedContent(Transport);
        return response;
    }

    /// <summary>The body of a 101 answer: the connection itself, readable and writable.</summary>
    private sealed class UpgradedContent(Stream connection) : HttpContent
    {
        protected override Stream CreateContentReadStream(CancellationToken cancellationToken) => connection;

        protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult(connection);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            throw new NotSupportedException("An upgraded connection is not copied.");

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}

/// <summary>The server answered the upgrade with an extension the client did not offer.</summary>
internal sealed class UnexpectedExtensionException(string extension)
    : HttpRequestException($"The server agreed to an extension that was not offered: {extension}")
{
    public string Extension { get; } = extension;
}
