using System;
using System.Collections.Generic;
using WebSocketAddIn.Engine.Connections;
using WebSocketAddIn.Engine.Tls;

namespace WebSocketAddIn.Engine.Server;

/// <summary>What a server is started with. Limits have safe defaults; the component exposes them as properties.</summary>
public sealed class ServerSettings
{
    /// <summary>"" for every interface, "localhost", or an IPv4/IPv6 address.</summary>
    public string Interface { get; init; } = string.Empty;

    public int Port { get; init; }

    /// <summary>With a certificate the server speaks wss://. Owned by the server once started.</summary>
    public ServerCertificate? Certificate { get; init; }

    public ConnectionLimits Limits { get; init; } = new();

    /// <summary>Subprotocols the server speaks, in order of preference; the first one a client offers is chosen.</summary>
    public IReadOnlyList<string> Subprotocols { get; init; } = [];

    /// <summary>Queue Connected and Disconnected events among the messages, for 1C code that asked for them.</summary>
    public bool ReportConnectionEvents { get; init; }

    /// <summary>All message memory the server may hold (received, being assembled, queued to send); 0 for no limit.</summary>
    public long MemoryBudgetBytes { get; init; } = DefaultMemoryBudgetBytes;

    public const long DefaultMemoryBudgetBytes = 256L * 1024 * 1024;

    /// <summary>
    /// Reverse proxies whose X-Forwarded-For / Forwarded headers are believed (addresses as /32 or
    /// /128 networks, and networks); empty: no header is believed and every address is the peer's.
    /// </summary>
    public IReadOnlyList<System.Net.IPNetwork> TrustedProxies { get; init; } = [];

    /// <summary>The HTTP push endpoint for other 1C sessions; null: none (the default).</summary>
    public PushSettings? Push { get; init; }

    /// <summary>The administrators' log file; null: none.</summary>
    public Diagnostics.LogSettings? Log { get; init; }

    /// <summary>permessage-deflate (RFC 7692) for clients that offer it; off unless asked for.</summary>
    public Compression? Compression { get; init; }
}
