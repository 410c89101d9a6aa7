using OneC.NativeApi.Components;

namespace WebSocketAddIn.Components.Common;

/// <summary>
/// The allowed values of every numeric setting, in one place: the tables check them, the errors
/// name the property and the range, and docs/api.*.md lists the same numbers.
/// </summary>
internal static class Limits
{
    public sealed record Range(string English, string Russian, long Minimum, long Maximum, bool ZeroAllowed = false);

    public const long MiB = 1024 * 1024;

    public static readonly Range MessageSize = new("MaxMessageSize", "МаксимальныйРазмерСообщения", 1, 1024 * MiB);

    public static readonly Range Connections = new("MaxConnections", "МаксимумСоединений", 1, 1_000_000);

    public static readonly Range SendQueue = new("SendQueueSize", "РазмерОчередиОтправки", 1024, 16L * 1024 * MiB);

    public static readonly Range PingInterval = new("PingInterval", "ИнтервалПинга", 0, int.MaxValue);

    public static readonly Range PingTimeout = new("PingTimeout", "ТаймаутПинга", 0, int.MaxValue);

    public static readonly Range PushRate = new("PushRate", "ЧастотаОтправки", 1, 1_000_000, ZeroAllowed: true);

    public static readonly Range LogSize = new("LogMaxSize", "РазмерЖурнала", 64 * 1024, 1024 * MiB);

    public static readonly Range CompressionWindow = new("CompressionWindowBits", "СжатиеОкноБит", 9, 15);

    public static readonly Range Memory = new("MaxMemory", "МаксимумПамяти", MiB, 1024L * 1024 * MiB, ZeroAllowed: true);

    /// <summary>The value, or an exception naming the property and its range.</summary>
    public static long Check(long value, Range range)
    {
        if ((value == 0 && range.ZeroAllowed) || (value >= range.Minimum && value <= range.Maximum))
        {
            return value;
        }

        var zero = range.ZeroAllowed ? " (или 0 — без ограничения)" : string.Empty;
        var zeroEn = range.ZeroAllowed ? " (or 0 for no limit)" : string.Empty;
        throw new AddInException(new(
            $"{range.Russian}: значение должно быть от {range.Minimum} до {range.Maximum}{zero}, передано {value}",
            $"{range.English}: the value must be from {range.Minimum} to {range.Maximum}{zeroEn}, got {value}"));
    }
}
