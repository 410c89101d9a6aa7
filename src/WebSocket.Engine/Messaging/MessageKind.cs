namespace WebSocketAddIn.Engine.Messaging;

public enum MessageKind
{
    Text,
    Binary,
}
