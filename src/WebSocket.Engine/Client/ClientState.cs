namespace WebSocketAddIn.Engine.Client;

/// <summary>The client's Status as 1C code reads it.</summary>
public enum ClientState
{
    /// <summary>The connection failed or broke (no closing handshake).</summary>
    Broken = -1,
    NotConnected = 0,
    Connected = 1,

    /// <summary>BeginConnect is under way; Connected or Broken (or NotConnected, after Disconnect) when it ends.</summary>
    Connecting = 2,
}
