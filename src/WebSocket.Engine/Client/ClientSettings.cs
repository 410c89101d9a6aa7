using System;
using System.Collections.Generic;
using WebSocketAddIn.Engine.Connections;

namespace WebSocketAddIn.Engine.Client;

public sealed class ClientSettings
{
    public required Uri Url { get; init; }

    /// <summary>Extra handshake headers. "Sec-WebSocket-Protocol" is taken as the subprotocols to offer.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public ServerCertificatePolicy CertificatePolicy { get; init; } = ServerCertificatePolicy.SystemTrust;

    public ConnectionLimits Limits { get; init; } = new();

    /// <summary>Offer permessage-deflate (RFC 7692); null: do not.</summary>
    public Compression? Compression { get; init; }
}
