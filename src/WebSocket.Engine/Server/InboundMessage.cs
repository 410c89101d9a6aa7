using WebSocketAddIn.Engine.Messaging;

namespace WebSocketAddIn.Engine.Server;

/// <summary>A message a client sent, waiting for 1C code. Its payload belongs to whoever took it from the queue.</summary>
public readonly record struct InboundMessage(ServerConnection Connection, MessageKind Kind, Payload Payload)
{
    public long ConnectionId => Connection.Id;
}
