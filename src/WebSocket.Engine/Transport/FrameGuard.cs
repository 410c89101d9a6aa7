using System;

namespace WebSocketAddIn.Engine.Transport;

/// <summary>
/// Follows the frame boundaries of an incoming WebSocket byte stream only far enough to read each
/// frame's header, for two things ManagedWebSocket does not do: a data frame declared longer than
/// the message limit is refused when its header arrives, not after its bytes (ManagedWebSocket has
/// no size limit and does not tell how long a frame claims to be); and, on the server, a client
/// frame without a mask is refused at once (ManagedWebSocket first waits for the four mask bytes
/// such a frame does not have, so a short unmasked frame left the connection hanging). Nothing here
/// decodes or unmasks; every other violation is left to ManagedWebSocket and its close codes.
/// </summary>
public sealed class FrameGuard(long maxPayload, bool requireMask)
{
    public enum Problem
    {
        None,
        TooLong,
        Unmasked,
    }

    // Bytes of the current frame's payload still to come, and the header being collected.
    private long _payloadLeft;
    private readonly byte[] _header = new byte[14];
    private int _headerLength;

    /// <summary>What was found; the guard stops looking once it found something.</summary>
    public Problem Found { get; private set; }

    private bool Tripped => Found != Problem.None;

    /// <summary>
    /// Follows <paramref name="bytes"/>, the next bytes of the stream. Returns -1, or, when a frame
    /// to refuse (<see cref="Found"/>) begins here, how many of these bytes come before its header
    /// (0 when its header began in earlier bytes): those may still be handed on, the rest must not.
    /// </summary>
    public int Scan(ReadOnlySpan<byte> bytes)
    {
        var position = 0;
        while (position < bytes.Length && !Tripped)
        {
            if (_payloadLeft > 0)
            {
                var skip = (int)Math.Min(_payloadLeft, bytes.Length - position);
                _payloadLeft -= skip;
                position += skip;
                continue;
            }

            _header[_headerLength++] = bytes[position++];
            if (requireMask && _headerLength == 2 && (_header[1] & 0x80) == 0)
            {
                Found = Problem.Unmasked;
                return Math.Max(0, position - 2);
            }

            if (HeaderComplete() is not { } declared)
            {
                continue;
            }

            var headerLength = _headerLength;
            _headerLength = 0;
            var opcode = _header[0] & 0x0F;
            if (declared < 0)
            {
                // A 64-bit length with its top bit set: ManagedWebSocket refuses it (1002) and reads no
                // further, so neither does the guard.
                _payloadLeft = long.MaxValue;
                continue;
            }

            // Continuation, text, binary: the frames a message is made of. Control frames are capped at
            // 125 bytes by ManagedWebSocket itself.
            if (opcode <= 2 && declared > maxPayload)
            {
                Found = Problem.TooLong;
                return Math.Max(0, position - headerLength);
            }

            _payloadLeft = declared;
        }

        return -1;
    }

    /// <summary>The declared payload length once the whole header (length field and mask key) is in, else null.</summary>
    private long? HeaderComplete()
    {
        if (_headerLength < 2)
        {
            return null;
        }

        var lengthCode = _header[1] & 0x7F;
        var lengthBytes = lengthCode switch { 126 => 2, 127 => 8, _ => 0 };
        var maskBytes = (_header[1] & 0x80) != 0 ? 4 : 0;
        if (_headerLength < 2 + lengthBytes + maskBytes)
        {
            return null;
        }

        long length = lengthCode;
        if (lengthBytes > 0)
        {
            length = 0;
            for (var i = 0; i < lengthBytes; i++)
            {
                length = (length << 8) | _header[2 + i];
            }
        }

        return length;
    }
}
