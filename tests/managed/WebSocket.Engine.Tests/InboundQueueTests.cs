using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using WebSocketAddIn.Engine.Messaging;
using Xunit;

namespace WebSocketAddIn.Engine.Tests;

/// <summary>
/// The queue between every connection's receive loop and the 1C thread. Producers take no lock,
/// so what matters is that no item is lost or reordered and that a consumer that waits is always
/// woken: a lost wake-up would freeze 1C code in Receive with messages queued.
/// </summary>
public sealed class InboundQueueTests
{
    // Only a guard against a hang failing the run forever; nothing here asserts how fast.
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ManyProducersOneWaitingConsumer_EveryItemArrivesOnceInEachProducersOrder()
    {
        const int producers = 4;
        const int perProducer = 100_000;
        var queue = new InboundQueue<(int Producer, int Sequence)>();

        // The consumer waits without a timeout whenever the queue is empty, as Receive(0) does in
        // 1C: a single lost wake-up leaves it waiting with items queued, and the guard fires.
        var consumer = Task.Factory.StartNew(() =>
        {
            var next = new int[producers];
            for (var taken = 0; taken < producers * perProducer; taken++)
            {
                Assert.True(queue.TryTake(Timeout.Infinite, out var item));
                Assert.Equal(next[item.Producer], item.Sequence);
                next[item.Producer]++;
            }

            return next;
        }, TaskCreationOptions.LongRunning);

        var feeding = Enumerable.Range(0, producers).Select(p => Task.Factory.StartNew(() =>
        {
            var random = new Random(p);
            for (var i = 0; i < perProducer; i++)
            {
                Assert.True(queue.Add((p, i)));

                // Pauses now and then, so the consumer keeps running dry and going to sleep.
                if (random.Next(64) == 0)
                {
                    Thread.Yield();
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        await Task.WhenAll(feeding).WaitAsync(HangGuard);

        // A TimeoutException here is the consumer left waiting with items queued: a lost wake-up.
        var counts = await consumer.WaitAsync(HangGuard);
        Assert.All(counts, count => Assert.Equal(perProducer, count));
        Assert.False(queue.TryTake(0, out _));
    }

    [Fact]
    public async Task PingPong_EveryItemIsTheLastOne_TheConsumerIsWokenForEach()
    {
        // One item at a time, the next added as soon as the previous one is taken: the consumer
        // is forever on its way to sleep when an item comes, and no later item would wake it if
        // that one's wake-up were lost (the interleaving the 1-connection echo produces).
        const int rounds = 20_000;
        var queue = new InboundQueue<int>();
        var taken = 0;
        var consumer = Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < rounds; i++)
            {
                Assert.True(queue.TryTake(Timeout.Infinite, out var item));
                Assert.Equal(i, item);
                Volatile.Write(ref taken, i + 1);
            }
        }, TaskCreationOptions.LongRunning);

        var producer = Task.Factory.StartNew(() =>
        {
            var spin = new SpinWait();
            for (var i = 0; i < rounds; i++)
            {
                queue.Add(i);
                while (Volatile.Read(ref taken) <= i && !consumer.IsCompleted)
                {
                    spin.SpinOnce(sleep1Threshold: -1);
                }
            }
        }, TaskCreationOptions.LongRunning);

        // A TimeoutException here is a lost wake-up.
        await consumer.WaitAsync(HangGuard);
        await producer.WaitAsync(HangGuard);
    }

    [Fact]
    public async Task ConsumerWithShortTimeouts_LosesNothingBetweenTimeouts()
    {
        const int items = 20_000;
        var queue = new InboundQueue<int>();
        var producer = Task.Factory.StartNew(() =>
        {
            var random = new Random(7);
            for (var i = 0; i < items; i++)
            {
                queue.Add(i);
                if (random.Next(500) == 0)
                {
                    Thread.Sleep(2);
                }
            }
        }, TaskCreationOptions.LongRunning);

        var received = new List<int>(items);
        var deadline = DateTime.UtcNow + HangGuard;
        while (received.Count < items && DateTime.UtcNow < deadline)
        {
            // Timeout 1 ms: most waits end by the clock, some by an arrival, some race it.
            if (queue.TryTake(1, out var item))
            {
                received.Add(item);
            }
        }

        await producer.WaitAsync(HangGuard);
        Assert.Equal(Enumerable.Range(0, items), received);
    }

    [Fact]
    public async Task Complete_WakesAWaitingConsumer_AndItemsQueuedBeforeItAreStillHandedOut()
    {
        var queue = new InboundQueue<string>();
        var waiting = Task.Factory.StartNew(() => queue.TryTake(Timeout.Infinite, out _), TaskCreationOptions.LongRunning);

        // Whether the consumer is already asleep or not, Complete must end its wait.
        Thread.Sleep(50);
        queue.Complete();
        Assert.False(await waiting.WaitAsync(HangGuard));

        var reopened = new InboundQueue<string>();
        Assert.True(reopened.Add("before"));
        reopened.Complete();
        Assert.False(reopened.Add("after"));
        Assert.True(reopened.TryTake(Timeout.Infinite, out var item));
        Assert.Equal("before", item);
        Assert.False(reopened.TryTake(Timeout.Infinite, out _));

        reopened.Reopen();
        Assert.True(reopened.Add("again"));
        Assert.True(reopened.TryTake(0, out item));
        Assert.Equal("again", item);
    }

    [Fact]
    public async Task AnItemAddedJustBeforeComplete_IsStillHandedOut()
    {
        // The client's receive loop delivers its last message and then completes the queue (the
        // connection ended). A consumer already waiting must get that message, not a False that
        // 1C code reads as "nothing more will come".
        for (var round = 0; round < 20_000; round++)
        {
            var queue = new InboundQueue<int>();
            var consumer = Task.Run(() => (queue.TryTake(Timeout.Infinite, out var item), item));
            queue.Add(round);
            queue.Complete();
            var (taken, value) = await consumer.WaitAsync(HangGuard);
            Assert.True(taken, $"round {round}: the item queued before Complete was not handed out");
            Assert.Equal(round, value);
        }
    }

    [Fact]
    public void Drain_TakesEverythingQueuedInOrder()
    {
        var queue = new InboundQueue<int>();
        for (var i = 0; i < 1000; i++)
        {
            queue.Add(i);
        }

        Assert.True(queue.TryTake(0, out var first));
        Assert.Equal(0, first);
        Assert.Equal(Enumerable.Range(1, 999), queue.Drain());
        Assert.False(queue.TryTake(0, out _));
    }
}
