using System;
using System.Threading.Tasks;
using WebSocketAddIn.Engine.Messaging;

namespace WebSocketAddIn.Engine.Connections;

/// <summary>
/// The message a connection is receiving, assembled from its frames into one array that grows by
/// doubling, never past one byte over the limit (that byte is what proves a message too big). Past
/// one receive chunk the array is counted in the memory budget; when the budget is spent, growing
/// waits for room, unless this connection already holds more than its share of the budget: then
/// the message is refused, so a few hostile peers cannot hold everyone else's memory hostage.
/// </summary>
internal sealed class MessageAssembly(MemoryBudget budget, int maxMessageBytes) : IDisposable
{
    private const int Chunk = 4096;

    private byte[]? _buffer;
    private int _length;
    private long _charged;

    public enum Room
    {
        Ready,
        TooBig,
        OverShare,
    }

    /// <summary>Bytes of the message received so far.</summary>
    public int Length => _length;

    /// <summary>While the budget is spent: this message holds its share of it or more, and must be refused rather than wait.</summary>
    public bool OverShare => _charged > 0 && _charged >= budget.FairShare;

    /// <summary>Where the next bytes go; call after <see cref="MakeRoomAsync"/> returned Ready.</summary>
    public Memory<byte> FreeSpace => _buffer.AsMemory(_length, ReadLimit - _length);

    private int ReadLimit => (int)Math.Min(_buffer!.Length, maxMessageBytes + 1L);

    /// <summary>Makes sure there is room for more of the message.</summary>
    public async ValueTask<Room> MakeRoomAsync()
    {
        if (_length > maxMessageBytes)
        {
            return Room.TooBig;
        }

        if (_buffer is null)
        {
            _buffer = MessageBuffers.Rent(Chunk);
            return Room.Ready;
        }

        if (_length < ReadLimit)
        {
            return Room.Ready;
        }

        var size = (int)Math.Min((long)_buffer.Length * 2, maxMessageBytes + 1L);
        var charge = MessageBuffers.RentedLength(size);
        while (!budget.TryCharge(charge))
        {
            if (_charged + charge > budget.FairShare)
            {
                return Room.OverShare;
            }

            await budget.WaitForRoomAsync(charge).ConfigureAwait(false);
        }

        if (_charged == 0)
        {
            budget.LargeAssembly(started: true);
        }

        var larger = MessageBuffers.Rent(size);
        if (larger.Length != charge)
        {
            budget.Charge(larger.Length - charge);
        }

        _buffer.AsSpan(0, _length).CopyTo(larger);
        ReturnBuffer();
        _buffer = larger;
        _charged = larger.Length;
        return Room.Ready;
    }

    public void Advance(int count) => _length += count;

    /// <summary>The whole message; the assembly starts over. A large one keeps its array (and its count in the budget).</summary>
    public Payload TakeMessage()
    {
        Payload payload;
        if (_charged > 0)
        {
            payload = Payload.FromRented(_buffer!, _length, budget);
            _buffer = null;
            _charged = 0;
            budget.LargeAssembly(started: false);
        }
        else
        {
            payload = Payload.CopyOf(_buffer.AsSpan(0, _length), budget);
        }

        _length = 0;
        return payload;
    }

    /// <summary>Between messages, before a wait: the receive chunk goes back to the pool.</summary>
    public void ReleaseIdleBuffer()
    {
        if (_length == 0 && _charged == 0 && _buffer is not null)
        {
            MessageBuffers.Return(_buffer);
            _buffer = null;
        }
    }

    public void Dispose()
    {
        if (_buffer is null)
        {
            return;
        }

        var wasLarge = _charged > 0;
        ReturnBuffer();
        _buffer = null;
        _length = 0;
        if (wasLarge)
        {
            budget.LargeAssembly(started: false);
        }
    }

    private void ReturnBuffer()
    {
        if (_charged > 0)
        {
            // Charged at the array's full length (MakeRoomAsync).
            MessageBuffers.Return(_buffer!, budget);
            _charged = 0;
            return;
        }

        MessageBuffers.Return(_buffer!);
    }
}
