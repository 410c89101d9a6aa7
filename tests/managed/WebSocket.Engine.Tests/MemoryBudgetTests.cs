using System;
using System.Threading.Tasks;
using WebSocketAddIn.Engine.Messaging;
using Xunit;

namespace WebSocketAddIn.Engine.Tests;

/// <summary>
/// The server-wide message budget. A connection that cannot grow its message waits for room and
/// must not spin while it waits (a loop that retried at once took the pool's threads on a loaded
/// machine, and close frames of refused peers were not sent in time); arrays let go to the GC
/// count until a collection gives them back, so that the budget bounds what the process holds.
/// </summary>
public sealed class MemoryBudgetTests
{
    // Only a guard against a hang failing the run forever; nothing here asserts how fast.
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AWaitForBytesThatDoNotFitLastsUntilMemoryIsReleased()
    {
        var budget = new MemoryBudget(limit: 100);
        budget.Charge(90);

        // Not spent (90 < 100), yet 20 more do not fit: the wait must not complete at once.
        Assert.False(budget.IsSpent);
        Assert.False(budget.TryCharge(20));
        var wait = budget.WaitForRoomAsync(20);
        await Task.Delay(200);
        Assert.False(wait.IsCompleted, "a wait for room that is not there completed at once: the caller would retry in a loop");

        budget.Release(30);
        await wait.WaitAsync(HangGuard);
        Assert.True(budget.TryCharge(20));
    }

    [Fact]
    public async Task ALargeArrayLetGoCountsUntilACollectionGivesItBack()
    {
        const int size = 4 * 1024 * 1024;
        var budget = new MemoryBudget(limit: 6L * 1024 * 1024);
        var array = MessageBuffers.Rent(size);
        budget.Charge(array.Length);
        MessageBuffers.Return(array, budget);

        Assert.Equal(0, budget.Used);
        Assert.Equal(array.Length, budget.Garbage);
        Assert.False(budget.TryCharge(size), "garbage not yet collected must count against the limit");

        // The wait itself asks for the collection that makes the room.
        await budget.WaitForRoomAsync(size).WaitAsync(HangGuard);
        Assert.Equal(0, budget.Garbage);
        Assert.True(budget.TryCharge(size));
    }

    [Fact]
    public void ArraysThatAPoolKeepsAreNotGarbage()
    {
        const int size = 256 * 1024;
        var budget = new MemoryBudget(limit: 0);
        var arrays = new byte[6][];
        for (var i = 0; i < arrays.Length; i++)
        {
            arrays[i] = MessageBuffers.Rent(size);
            budget.Charge(arrays[i].Length);
        }

        foreach (var array in arrays)
        {
            MessageBuffers.Return(array, budget);
        }

        // The pool keeps at most four of a size: of six, two or more went to the GC and are counted
        // as garbage; what the pool kept is released.
        Assert.Equal(0, budget.Used);
        Assert.InRange(budget.Garbage, 2L * size, 6L * size);
        Assert.Equal(0, budget.Garbage % size);
    }

    [Fact]
    public async Task TheLastArraysOfABurstAreCollectedOnceItIsOver()
    {
        // A burst's end after its budget touched zero midway: what is let go now is far below both
        // the burst size and the garbage that asks for a collection at once, yet nothing after it
        // would ever collect it. It must be given back within the reclaimer's delay.
        var budget = new MemoryBudget(limit: 0);
        var array = MessageBuffers.Rent(4 * 1024 * 1024);
        budget.Charge(array.Length);
        var collectionsBefore = MemoryReclaimer.Collections;
        MessageBuffers.Return(array, budget);
        Assert.Equal(array.Length, budget.Garbage);

        var until = DateTime.UtcNow + MemoryReclaimer.Delay + HangGuard;
        while (budget.Garbage > 0 && DateTime.UtcNow < until)
        {
            await Task.Delay(100);
        }

        Assert.True(budget.Garbage == 0, "an array let go at the end of a burst was never collected: it stays resident until the next burst");
        Assert.True(MemoryReclaimer.Collections > collectionsBefore);
    }
}
