using System;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace WebSocketAddIn.Engine.Diagnostics;

/// <summary>
/// Writes the log lines on a background task, so that a slow disk never holds up the 1C loop or a
/// connection: lines wait in a bounded queue, and when it is full they are dropped and counted (the
/// next line written says how many). The file is opened for appending, shared for reading (an
/// administrator may tail it), and rotated to <c>.1</c> at its size limit.
/// </summary>
internal sealed class LogWriter : IAsyncDisposable
{
    private const int QueueLines = 10_000;

    private readonly LogSettings _settings;
    private readonly Channel<string> _lines = Channel.CreateBounded<string>(new BoundedChannelOptions(QueueLines)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private readonly Task _writing;
    private long _dropped;

    private LogWriter(LogSettings settings, FileStream first)
    {
        _settings = settings;
        _writing = Task.Run(() => WriteAsync(first));
    }

    /// <summary>Opens the file now, so that a path that cannot be written is an error of Run, not a silent loss later.</summary>
    public static LogWriter Open(LogSettings settings) => new(settings, OpenFile(settings.Path));

    public void Write(string line)
    {
        if (!_lines.Writer.TryWrite(line))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _lines.Writer.TryComplete();
        await _writing.ConfigureAwait(false);
    }

    private async Task WriteAsync(FileStream file)
    {
        try
        {
            while (await _lines.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                var dropped = Interlocked.Exchange(ref _dropped, 0);
                if (dropped > 0)
                {
                    file = await AppendAsync(file, $"{Now()} WARN log: {dropped} lines dropped (the disk was slower than the server)").ConfigureAwait(false);
                }

                while (_lines.Reader.TryRead(out var line))
                {
                    file = await AppendAsync(file, line).ConfigureAwait(false);
                }

                await file.FlushAsync().ConfigureAwait(false);
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // The disk failed under us: the log stops, the server does not.
        }
        finally
        {
            await file.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<FileStream> AppendAsync(FileStream file, string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        if (file.Length + bytes.Length > _settings.MaxBytes && file.Length > 0)
        {
            await file.DisposeAsync().ConfigureAwait(false);
            File.Move(_settings.Path, _settings.Path + ".1", overwrite: true);
            file = OpenFile(_settings.Path);
        }

        await file.WriteAsync(bytes).ConfigureAwait(false);
        return file;
    }

    private static FileStream OpenFile(string path) =>
        new(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 16 * 1024, useAsync: false);

    public static string Now() => DateTimeOffset.Now.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", System.Globalization.CultureInfo.InvariantCulture);
}
