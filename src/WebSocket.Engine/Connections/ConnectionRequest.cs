using System.Collections.Generic;

namespace WebSocketAddIn.Engine.Connections;

/// <summary>Who is connecting: what the client's upgrade request said, for 1C code to authenticate it.</summary>
public sealed record ConnectionRequest(
    string Path,
    string Query,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    string RemoteAddress,
    string Subprotocol,
    System.DateTimeOffset ConnectedAt);
