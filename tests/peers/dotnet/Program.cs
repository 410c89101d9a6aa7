// WebSocket test peer on System.Net.WebSockets.ClientWebSocket.
// Speaks the line protocol of tests/peers/PROTOCOL.md: JSON commands on stdin,
// JSON events on stdout (one a line, flushed at once), diagnostics on stderr.

using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using System.IO;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace TestPeers;

internal sealed class Options
{
    public Uri? Url { get; set; }
    public string? Ca { get; set; }
    public List<KeyValuePair<string, string>> Headers { get; } = new();
    public List<string> Subprotocols { get; } = new();
    public string? Origin { get; set; }
    public bool CloseOnEof { get; set; } = true;
}

internal static class Program
{
    private const int DataLimit = 65536;
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private static readonly object OutLock = new();
    private static readonly Stream StdOut = OpenStdout();

    private static readonly ClientWebSocket Ws = new();
    private static readonly SemaphoreSlim SendLock = new(1, 1);
    private static int closeReported;
    private static volatile string? tlsRejection;

    public static async Task<int> Main(string[] args)
    {
        Options opt;
        try
        {
            opt = ParseArgs(args);
        }
        catch (ArgumentException e)
        {
            Log("usage: dotnet peer.dll --url URL [--ca FILE] [--header K:V]... [--subprotocol P]... [--origin O] [--no-close-on-eof]");
            Log(e.Message);
            return 2;
        }

        Channel<string> commands = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var stdinThread = new Thread(() => ReadStdin(commands.Writer)) { IsBackground = true, Name = "stdin" };
        stdinThread.Start();

        try
        {
            Configure(opt);
            using var cts = new CancellationTokenSource(ConnectTimeout);
            await Ws.ConnectAsync(opt.Url!, cts.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            string status = Ws.HttpStatusCode != 0
                ? string.Create(CultureInfo.InvariantCulture, $" (HTTP {(int)Ws.HttpStatusCode})")
                : "";
            string tls = tlsRejection is { } t ? " (tls: " + t + ")" : "";
            Fail("connect failed: " + Describe(e) + status + tls);
        }

        Emit(new JsonLine().Str("event", "open").Str("subprotocol", Ws.SubProtocol ?? ""));

        try
        {
            // The receive loop exits the process once the connection has ended and the close
            // event is out; the command loop never returns normally.
            Task receiver = Task.Run(ReceiveLoop);
            Task commander = Task.Run(() => CommandLoop(commands.Reader, opt));
            Task first = await Task.WhenAny(receiver, commander).ConfigureAwait(false);
            await first.ConfigureAwait(false);
            await receiver.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Fail("peer crashed: " + Describe(e));
        }
        return 0;
    }

    private static Options ParseArgs(string[] args)
    {
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string k = args[i];
            string Val()
            {
                if (i + 1 >= args.Length)
                {
                    throw new ArgumentException(k + " wants a value");
                }
                return args[++i];
            }
            switch (k)
            {
                case "--url":
                    o.Url = new Uri(Val());
                    break;
                case "--ca":
                    o.Ca = Val();
                    break;
                case "--header":
                    {
                        string h = Val();
                        int c = h.IndexOf(':', StringComparison.Ordinal);
                        if (c < 0)
                        {
                            throw new ArgumentException("--header wants K:V");
                        }
                        o.Headers.Add(new(h[..c].Trim(), h[(c + 1)..].Trim()));
                        break;
                    }
                case "--subprotocol":
                    o.Subprotocols.Add(Val());
                    break;
                case "--origin":
                    o.Origin = Val();
                    break;
                case "--no-close-on-eof":
                    o.CloseOnEof = false;
                    break;
                default:
                    throw new ArgumentException("unknown option " + k);
            }
        }
        if (o.Url is null)
        {
            throw new ArgumentException("--url is required");
        }
        return o;
    }

    private static void Configure(Options opt)
    {
        ClientWebSocketOptions o = Ws.Options;
        o.KeepAliveInterval = TimeSpan.Zero;
        o.CollectHttpResponseDetails = true;
        foreach (KeyValuePair<string, string> h in opt.Headers)
        {
            o.SetRequestHeader(h.Key, h.Value);
        }
        foreach (string p in opt.Subprotocols)
        {
            o.AddSubProtocol(p);
        }
        if (opt.Origin is not null)
        {
            o.SetRequestHeader("Origin", opt.Origin);
        }
        if (opt.Ca is not null)
        {
            var trusted = new X509Certificate2Collection();
            trusted.ImportFromPemFile(opt.Ca);
            if (trusted.Count == 0)
            {
                throw new InvalidDataException("no certificate in " + opt.Ca);
            }
            o.RemoteCertificateValidationCallback = (sender, cert, chain, errors) => ValidateAgainst(trusted, cert, chain, errors);
        }
        // Without --ca the default validation (system trust store, host name) applies.
    }

    // Trust exactly the given PEM certificates as roots; the host name must still match.
    private static bool ValidateAgainst(X509Certificate2Collection trusted, X509Certificate? cert, X509Chain? chain, SslPolicyErrors errors)
    {
        if (cert is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return Reject("the server sent no certificate");
        }
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return Reject("the server certificate does not match the host name (RemoteCertificateNameMismatch)");
        }
        using X509Certificate2 leaf = X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(trusted);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            // Intermediates the server sent.
            foreach (X509ChainElement el in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(el.Certificate);
            }
        }
        if (custom.Build(leaf))
        {
            return true;
        }
        var why = new StringBuilder("the certificate chain does not lead to the --ca certificate:");
        foreach (X509ChainStatus s in custom.ChainStatus)
        {
            why.Append(' ').Append(s.Status).Append(" (").Append(s.StatusInformation.Trim()).Append(')');
        }
        return Reject(why.ToString());
    }

    private static bool Reject(string why)
    {
        tlsRejection = why;
        Log("tls: " + why);
        return false;
    }

    private static void ReadStdin(ChannelWriter<string> writer)
    {
        try
        {
            using var reader = new StreamReader(Console.OpenStandardInput(), Utf8, detectEncodingFromByteOrderMarks: false);
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                if (IsQuit(line))
                {
                    // "exit at once": not queued behind a running send or close.
                    lock (OutLock)
                    {
                        Exit(0);
                    }
                }
                writer.TryWrite(line);
            }
        }
        catch (IOException e)
        {
            Log("stdin: " + e.Message);
        }
        writer.TryComplete();
    }

    private static bool IsQuit(string line)
    {
        if (!line.Contains("quit", StringComparison.Ordinal))
        {
            return false;
        }
        try
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("op", out JsonElement op)
                && op.ValueKind == JsonValueKind.String
                && op.GetString() == "quit";
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static async Task CommandLoop(ChannelReader<string> reader, Options opt)
    {
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out string? line))
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }
                JsonDocument doc;
                try
                {
                    doc = JsonDocument.Parse(line);
                    if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    {
                        throw new JsonException("not a JSON object");
                    }
                }
                catch (JsonException e)
                {
                    Fail("bad command " + Truncate(line) + ": " + e.Message);
                    return;
                }
                using (doc)
                {
                    string op = doc.RootElement.TryGetProperty("op", out JsonElement opEl) && opEl.ValueKind == JsonValueKind.String
                        ? opEl.GetString()!
                        : "";
                    try
                    {
                        await RunCommand(op, doc.RootElement).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        Fail(op + " failed: " + Describe(e));
                    }
                }
            }
        }
        // End of stdin.
        if (opt.CloseOnEof)
        {
            await StartClose(WebSocketCloseStatus.NormalClosure, "").ConfigureAwait(false);
        }
        else
        {
            Ws.Abort();
        }
        await Task.Delay(Timeout.Infinite).ConfigureAwait(false);
    }

    private static async Task RunCommand(string op, JsonElement cmd)
    {
        switch (op)
        {
            case "send":
                if (cmd.TryGetProperty("text", out JsonElement text))
                {
                    byte[] payload = Utf8.GetBytes(text.GetString() ?? "");
                    await SendFrames(1, _ => payload, WebSocketMessageType.Text).ConfigureAwait(false);
                }
                else if (cmd.TryGetProperty("binary", out JsonElement bin))
                {
                    byte[] payload = Convert.FromBase64String(bin.GetString() ?? "");
                    await SendFrames(1, _ => payload, WebSocketMessageType.Binary).ConfigureAwait(false);
                }
                else
                {
                    throw new InvalidDataException("send wants text or binary");
                }
                break;
            case "send_many":
                {
                    string prefix = cmd.TryGetProperty("prefix", out JsonElement p) ? p.GetString() ?? "" : "";
                    int count = cmd.GetProperty("count").GetInt32();
                    await SendFrames(count, i => Utf8.GetBytes(prefix + i.ToString(CultureInfo.InvariantCulture)), WebSocketMessageType.Text).ConfigureAwait(false);
                    break;
                }
            case "send_generated":
                {
                    string type = cmd.GetProperty("type").GetString() ?? "";
                    int size = cmd.GetProperty("size").GetInt32();
                    byte[] payload = new byte[size];
                    WebSocketMessageType kind;
                    if (type == "text")
                    {
                        for (int i = 0; i < size; i++)
                        {
                            payload[i] = (byte)('a' + i % 26);
                        }
                        kind = WebSocketMessageType.Text;
                    }
                    else if (type == "binary")
                    {
                        for (int i = 0; i < size; i++)
                        {
                            payload[i] = (byte)(i % 251);
                        }
                        kind = WebSocketMessageType.Binary;
                    }
                    else
                    {
                        throw new InvalidDataException("send_generated: type must be text or binary");
                    }
                    await SendFrames(1, _ => payload, kind).ConfigureAwait(false);
                    break;
                }
            case "close":
                {
                    int code = cmd.TryGetProperty("code", out JsonElement c) ? c.GetInt32() : 1000;
                    string reason = cmd.TryGetProperty("reason", out JsonElement r) ? r.GetString() ?? "" : "";
                    await StartClose((WebSocketCloseStatus)code, reason).ConfigureAwait(false);
                    await Task.Delay(Timeout.Infinite).ConfigureAwait(false); // the receive loop ends the peer
                    break;
                }
            case "drop":
                Ws.Abort();
                await Task.Delay(Timeout.Infinite).ConfigureAwait(false);
                break;
            case "quit":
                Exit(0);
                break;
            default:
                throw new InvalidDataException("unknown op \"" + op + "\"");
        }
    }

    private static async Task SendFrames(int count, Func<int, byte[]> frameAt, WebSocketMessageType type)
    {
        int sent = 0;
        await SendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            for (; sent < count; sent++)
            {
                if (Ws.State != WebSocketState.Open && Ws.State != WebSocketState.CloseReceived)
                {
                    break;
                }
                await Ws.SendAsync(frameAt(sent), type, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // The connection ended under us: the close event tells the rest.
            Log("send stopped after " + sent.ToString(CultureInfo.InvariantCulture) + " frames: " + e.Message);
            return;
        }
        finally
        {
            SendLock.Release();
        }
        if (sent == count)
        {
            Emit(new JsonLine().Str("event", "sent").Num("count", count));
        }
    }

    // Sends our close frame; the receive loop then gets the answer and reports the close.
    // If the answer does not come in time the connection is dropped (and reported as 1006).
    private static async Task StartClose(WebSocketCloseStatus code, string reason)
    {
        await SendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Ws.State == WebSocketState.Open || Ws.State == WebSocketState.CloseReceived)
            {
                using var cts = new CancellationTokenSource(CloseTimeout);
                await Ws.CloseOutputAsync(code, reason, cts.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            Log("close: " + e.Message);
        }
        finally
        {
            SendLock.Release();
        }
        _ = Task.Delay(CloseTimeout).ContinueWith(_ =>
        {
            Log("close: no answer in time, dropping the connection");
            Ws.Abort();
        }, TaskScheduler.Default);
    }

    private static async Task ReceiveLoop()
    {
        var message = new MemoryStream();
        byte[] chunk = new byte[64 * 1024];
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult r = await Ws.ReceiveAsync(chunk.AsMemory(), CancellationToken.None).ConfigureAwait(false);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
                message.Write(chunk, 0, r.Count);
                if (r.EndOfMessage)
                {
                    EmitMessage(r.MessageType, message.GetBuffer().AsSpan(0, (int)message.Length));
                    message.SetLength(0);
                    if (message.Capacity > 16 * 1024 * 1024)
                    {
                        message = new MemoryStream();
                    }
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            Log("receive: " + e.Message);
        }

        if (Ws.State == WebSocketState.CloseReceived)
        {
            // The server started the close: answer with its code, as RFC 6455 5.5.1 suggests.
            await AnswerClose().ConfigureAwait(false);
        }

        WebSocketCloseStatus? status = Ws.CloseStatus;
        if (status.HasValue)
        {
            ReportClose((int)status.Value, Ws.CloseStatusDescription ?? "");
        }
        else
        {
            ReportClose(1006, "");
        }
    }

    private static async Task AnswerClose()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await SendLock.WaitAsync(cts.Token).ConfigureAwait(false);
            try
            {
                WebSocketCloseStatus answer = Ws.CloseStatus is { } s && s != WebSocketCloseStatus.Empty ? s : WebSocketCloseStatus.NormalClosure;
                await Ws.CloseOutputAsync(answer, Ws.CloseStatusDescription ?? "", cts.Token).ConfigureAwait(false);
            }
            finally
            {
                SendLock.Release();
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            Log("answering the close: " + e.Message);
        }
    }

    private static void ReportClose(int code, string reason)
    {
        if (Interlocked.Exchange(ref closeReported, 1) != 0)
        {
            return;
        }
        Emit(new JsonLine().Str("event", "close").Num("code", code).Str("reason", reason));
        Exit(0);
    }

    private static void EmitMessage(WebSocketMessageType type, ReadOnlySpan<byte> payload)
    {
        var line = new JsonLine()
            .Str("event", "message")
            .Str("type", type == WebSocketMessageType.Text ? "text" : "binary")
            .Num("length", payload.Length)
            .Str("sha256", Convert.ToHexStringLower(SHA256.HashData(payload)));
        if (payload.Length <= DataLimit)
        {
            line.Str("data", type == WebSocketMessageType.Text ? Utf8.GetString(payload) : Convert.ToBase64String(payload));
        }
        Emit(line);
    }

    // Console's own stdout stream swallows EPIPE; a FileStream on a piped fd 1 reports it, so
    // a peer whose reader has gone away notices and exits instead of running on unheard.
    private static Stream OpenStdout()
    {
        try
        {
            var fs = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
            if (!fs.CanSeek)
            {
                return fs; // a pipe or a socket, as under the harness
            }
            // A regular file: FileStream would write at its own offset and clobber what others
            // append to the same file; Console's stream writes at the shared offset.
            fs.Dispose();
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException or NotSupportedException)
        {
            // fall through to Console's stream
        }
        return Console.OpenStandardOutput();
    }

    private static void Emit(JsonLine line)
    {
        byte[] bytes = Utf8.GetBytes(line.ToString() + "\n");
        lock (OutLock)
        {
            try
            {
                StdOut.Write(bytes, 0, bytes.Length);
                StdOut.Flush();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // Nobody reads our events any more.
                Environment.Exit(1);
            }
        }
    }

    private static void Fail(string message)
    {
        Emit(new JsonLine().Str("event", "error").Str("message", message));
        Exit(1);
    }

    private static void Exit(int code)
    {
        try
        {
            Console.Error.Flush();
        }
        catch (IOException)
        {
        }
        Environment.Exit(code);
    }

    private static void Log(string message)
    {
        try
        {
            Console.Error.WriteLine("dotnet-peer: " + message);
        }
        catch (IOException)
        {
        }
    }

    private static string Describe(Exception e)
    {
        var sb = new StringBuilder();
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (sb.Length > 0)
            {
                sb.Append(" <- ");
            }
            sb.Append(x.GetType().Name).Append(": ").Append(x.Message);
        }
        return sb.ToString();
    }

    private static string Truncate(string s) => s.Length > 200 ? s[..200] + "..." : s;
}

/// <summary>One JSON object, built in order; non-ASCII is written as UTF-8, not escaped.</summary>
internal sealed class JsonLine
{
    private readonly StringBuilder sb = new("{");

    public JsonLine Str(string key, string value)
    {
        Key(key);
        Quote(value);
        return this;
    }

    public JsonLine Num(string key, long value)
    {
        Key(key);
        sb.Append(value.ToString(CultureInfo.InvariantCulture));
        return this;
    }

    public override string ToString() => sb.ToString() + "}";

    private void Key(string key)
    {
        if (sb.Length > 1)
        {
            sb.Append(',');
        }
        Quote(key);
        sb.Append(':');
    }

    private void Quote(string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        sb.Append('"');
    }
}
