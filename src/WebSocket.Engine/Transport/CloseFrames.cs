using System;

namespace WebSocketAddIn.Engine.Transport;

/// <summary>
/// Reads the status code out of a close frame we are about to write. ManagedWebSocket closes by
/// itself on a protocol error (1002) or invalid UTF-8 (1007) and then only throws; the code it sent
/// is what 1C code must see in the disconnect event. ManagedWebSocket writes every frame, header
/// and payload, with one write, so the frame is whole in the buffer it hands us.
/// </summary>
internal static class CloseFrames
{
    private const int CloseOpcode = 0x8;

    /// <summary>The code of the close frame at the start of <paramref name="frame"/>; 0 if it is not one or has no code.</summary>
    public static int CodeOf(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 4 || (frame[0] & 0x0F) != CloseOpcode)
        {
            return 0;
        }

        var length = frame[1] & 0x7F;
        var masked = (frame[1] & 0x80) != 0;
        if (length < 2 || length > 125)
        {
            return 0;
        }

        if (!masked)
        {
            return (frame[2] << 8) | frame[3];
        }

        // A client's frame: the payload follows the 4-byte mask key.
        if (frame.Length < 8)
        {
            return 0;
        }

        return ((frame[6] ^ frame[2]) << 8) | (frame[7] ^ frame[3]);
    }
}
