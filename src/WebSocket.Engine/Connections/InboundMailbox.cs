using System;
using WebSocketAddIn.Engine.Messaging;

namespace WebSocketAddIn.Engine.Connections;

/// <summary>
/// Where connections leave what they received for 1C code, for the server (all its connections)
/// and the client (its one): the queue, the per-connection accounting that lets reading resume
/// when 1C takes a message, and the hook that tells the component something arrived.
/// Closed until opened: a Receive on an object that never connected returns at once.
/// </summary>
public sealed class InboundMailbox
{
    private readonly InboundQueue<InboundMessage> _queue = new();

    // A message 1C took but could not be given (the platform refused the memory for it): handed out
    // first by the next take, so that a failed Receive loses nothing. Only the 1C thread touches it.
    private InboundMessage? _putBack;

    public InboundMailbox() => _queue.Complete();

    /// <summary>Called on a background thread each time something is queued (for ExternalEvent notifications).</summary>
    public Action? Available { get; set; }

    public void Open() => _queue.Reopen();

    /// <summary>Messages and events waiting for 1C now.</summary>
    public int Count => _queue.Count + (_putBack is null ? 0 : 1);

    /// <summary>Nothing more will come: a waiting Receive returns at once; what is queued stays.</summary>
    public void Close() => _queue.Complete();

    /// <summary>Queues a message or event; false once closed (the caller keeps the payload).</summary>
    public bool Deliver(InboundMessage message)
    {
        if (!_queue.Add(message))
        {
            return false;
        }

        Available?.Invoke();
        return true;
    }

    public bool TryTake(int timeout, out InboundMessage message)
    {
        if (_putBack is { } held)
        {
            _putBack = null;
            message = held;
            if (message.IsMessage)
            {
                message.Connection.OnMessageTaken(message.Payload.Length);
            }

            return true;
        }

        if (!_queue.TryTake(timeout, out message))
        {
            return false;
        }

        if (message.IsMessage)
        {
            message.Connection.OnMessageTaken(message.Payload.Length);
        }

        return true;
    }

    /// <summary>A message just taken could not be handed to 1C: it is handed out again by the next take.</summary>
    public void PutBack(InboundMessage message)
    {
        if (message.IsMessage)
        {
            message.Connection.OnMessageReturned(message.Payload.Length);
        }

        _putBack = message;
    }

    /// <summary>Drops everything queued, returning the payloads to their pool (the owner is being disposed).</summary>
    public void Discard()
    {
        if (_putBack is { } held)
        {
            _putBack = null;
            held.Payload.Return();
        }

        foreach (var message in _queue.Drain())
        {
            message.Payload.Return();
        }
    }
}
