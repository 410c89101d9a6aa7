// heap-probe PORT: starts the engine's WebSocketServer on 127.0.0.1:PORT with the add-in's default
// limits, takes messages off the inbound queue as the 1C loop would, and on each line read from
// stdin prints the live managed heap (after a full GC) per open connection, relative to the heap
// right after the start. bench/tools/heap-probe/run.sh drives it with wsload and dotnet-gcdump.
using System;
using System.Globalization;
using System.Threading;
using WebSocketAddIn.Engine.Server;

var port = int.Parse(args.Length > 0 ? args[0] : "9190", CultureInfo.InvariantCulture);
using var server = new WebSocketServer();
server.Start(new ServerSettings { Interface = "127.0.0.1", Port = port });
var baseline = LiveHeap();
Console.WriteLine($"ws://127.0.0.1:{server.Port}/ pid={Environment.ProcessId} heap_after_start={baseline}");

var taker = new Thread(() =>
{
    while (server.IsRunning)
    {
        if (server.TryReceive(1000, out var message))
        {
            message.Payload.Return();
        }
    }
}) { IsBackground = true };
taker.Start();

while (Console.ReadLine() is not null)
{
    var live = LiveHeap();
    var open = server.OpenConnections().Count;
    var perConnection = open == 0 ? 0 : (live - baseline) / (double)open;
    Console.WriteLine($"RESULT connections={open} heap={live} heap_per_connection={perConnection:F0}");
}

static long LiveHeap()
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    return GC.GetTotalMemory(forceFullCollection: true);
}
