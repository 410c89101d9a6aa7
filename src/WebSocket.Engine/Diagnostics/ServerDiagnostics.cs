using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using WebSocketAddIn.Engine.Connections;

namespace WebSocketAddIn.Engine.Diagnostics;

/// <summary>
/// What an administrator sees of one run of a server: counters (connections, refusals by reason,
/// messages and bytes, ends by close code and by cause) and, when asked for, a log file with one
/// line per connection event and refusal. Only connection-level events touch this: message and
/// byte counts are kept by each connection and summed here when read, so the message path
/// shares no counter.
/// </summary>
public sealed class ServerDiagnostics : IAsyncDisposable
{
    private LogWriter? _log;
    private readonly bool _logEverything;
    private readonly long[] _refused = new long[Enum.GetValues<Refusal>().Length];
    private readonly long[] _causes = new long[Enum.GetValues<CloseCause>().Length];
    private readonly ConcurrentDictionary<int, long> _closeCodes = new();
    private long _accepted;

    // Totals of the connections that ended; the open ones add theirs when the counters are read.
    private long _messagesIn, _messagesOut, _bytesIn, _bytesOut;

    public ServerDiagnostics(LogSettings? log)
    {
        Started = DateTimeOffset.Now;
        if (log is not null)
        {
            _log = LogWriter.Open(log);
            _logEverything = log.Everything;
        }
    }

    public DateTimeOffset Started { get; }

    public void Accepted(WebSocketConnection connection)
    {
        Interlocked.Increment(ref _accepted);
        if (_log is not null && _logEverything)
        {
            var request = connection.Request;
            _log.Write($"{LogWriter.Now()} INFO connected id={connection.Id} address={connection.RemoteAddress}"
                + (request is { ProxyAddress.Length: > 0 } ? $" proxy={request.ProxyAddress}" : string.Empty)
                + $" path={LogValue(request?.Path ?? "/")}");
        }
    }

    public void Refused(Refusal reason, string address)
    {
        Interlocked.Increment(ref _refused[(int)reason]);
        _log?.Write($"{LogWriter.Now()} WARN refused reason={Name(reason)} address={address}");
    }

    public void Ended(WebSocketConnection connection)
    {
        var cause = connection.Cause;
        Interlocked.Increment(ref _causes[(int)cause]);
        _closeCodes.AddOrUpdate(connection.CloseCode, 1, static (_, n) => n + 1);
        Interlocked.Add(ref _messagesIn, connection.MessagesIn);
        Interlocked.Add(ref _messagesOut, connection.MessagesOut);
        Interlocked.Add(ref _bytesIn, connection.BytesIn);
        Interlocked.Add(ref _bytesOut, connection.BytesOut);
        var normal = cause is CloseCause.PeerClosed or CloseCause.Closed;
        if (_log is not null && (_logEverything || !normal))
        {
            _log.Write($"{LogWriter.Now()} {(normal ? "INFO" : "WARN")} disconnected id={connection.Id} address={connection.RemoteAddress}"
                + $" code={connection.CloseCode} cause={Name(cause)}");
        }
    }

    /// <summary>The counters as JSON text for ПрочитатьJSON.</summary>
    public string Describe(IReadOnlyCollection<WebSocketConnection> open, int queued, Messaging.MemoryBudget budget)
    {
        long messagesIn = Interlocked.Read(ref _messagesIn), messagesOut = Interlocked.Read(ref _messagesOut);
        long bytesIn = Interlocked.Read(ref _bytesIn), bytesOut = Interlocked.Read(ref _bytesOut);
        foreach (var connection in open)
        {
            messagesIn += connection.MessagesIn;
            messagesOut += connection.MessagesOut;
            bytesIn += connection.BytesIn;
            bytesOut += connection.BytesOut;
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("started", Started.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteNumber("connections", open.Count);
            json.WriteNumber("accepted", Interlocked.Read(ref _accepted));
            json.WriteStartObject("refused");
            foreach (var reason in Enum.GetValues<Refusal>())
            {
                json.WriteNumber(Name(reason), Interlocked.Read(ref _refused[(int)reason]));
            }

            json.WriteEndObject();
            json.WriteNumber("messagesIn", messagesIn);
            json.WriteNumber("messagesOut", messagesOut);
            json.WriteNumber("bytesIn", bytesIn);
            json.WriteNumber("bytesOut", bytesOut);
            json.WriteNumber("queued", queued);
            json.WriteStartObject("closeCodes");
            var codes = new List<KeyValuePair<int, long>>(_closeCodes);
            codes.Sort(static (a, b) => a.Key.CompareTo(b.Key));
            foreach (var (code, count) in codes)
            {
                json.WriteNumber(code.ToString(System.Globalization.CultureInfo.InvariantCulture), count);
            }

            json.WriteEndObject();
            json.WriteStartObject("ended");
            foreach (var cause in Enum.GetValues<CloseCause>())
            {
                if (cause != CloseCause.None)
                {
                    json.WriteNumber(Name(cause), Interlocked.Read(ref _causes[(int)cause]));
                }
            }

            json.WriteEndObject();
            json.WriteStartObject("memory");
            json.WriteNumber("used", budget.Used);
            json.WriteNumber("garbage", budget.Garbage);
            json.WriteNumber("peak", budget.Peak);
            json.WriteNumber("limit", budget.Limit);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _log, null) is { } log)
        {
            await log.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Writes what is queued and closes the file; the counters stay. Never throws.</summary>
    public void CloseLog() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>camelCase names, the same in the JSON and the log.</summary>
    private static string Name<T>(T value)
        where T : struct, Enum
    {
        var text = value.ToString();
        return char.ToLowerInvariant(text[0]) + text[1..];
    }

    /// <summary>A path as it may be logged: no query (tokens travel there), no spaces or control characters.</summary>
    private static string LogValue(string path)
    {
        var builder = new StringBuilder(path.Length);
        foreach (var c in path)
        {
            builder.Append(char.IsControl(c) || c == ' ' ? '_' : c);
        }

        return builder.ToString();
    }
}
