using System.Collections.Generic;

namespace WebSocketAddIn.Engine.Connections;

/// <summary>Who is connecting: what the client's upgrade request said, for 1C code to authenticate it.</summary>
/// <param name="RemoteAddress">The client's address: behind a trusted proxy, the one the proxy named.</param>
/// <param name="ProxyAddress">The trusted proxy the connection came through; "" for a direct one.</param>
/// <param name="Scheme">"wss" or "ws", as the client used it (behind a proxy, as the proxy said).</param>
public sealed record ConnectionRequest(
    string Path,
    string Query,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    string RemoteAddress,
    string Subprotocol,
    System.DateTimeOffset ConnectedAt,
    string ProxyAddress = "",
    string Scheme = "ws");
