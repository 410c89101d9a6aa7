namespace WebSocketAddIn.Engine.Connections;

/// <summary>Why a connection ended, as administrators count it and the log tells it.</summary>
public enum CloseCause
{
    /// <summary>Still open.</summary>
    None,

    /// <summary>The peer closed with a closing handshake.</summary>
    PeerClosed,

    /// <summary>We closed it on 1C's request (Disconnect, Stop, the object destroyed).</summary>
    Closed,

    /// <summary>A message over MaxMessageSize (1009).</summary>
    MessageTooBig,

    /// <summary>The peer stopped reading and its send queue overflowed (1008).</summary>
    NotReading,

    /// <summary>A message that would have taken more than its share of the memory budget (1009).</summary>
    MemoryBudget,

    /// <summary>The peer broke the protocol (1002) or sent text that is not UTF-8 (1007).</summary>
    ProtocolError,

    /// <summary>The peer did not answer pings in time.</summary>
    PingTimeout,

    /// <summary>The connection broke: reset, vanished, a failed write.</summary>
    Broken,
}
