using OneC.NativeApi.Components;

namespace WebSocketAddIn.Components.Common;

internal static class CommonMessages
{
    public static LocalizedText TimeoutNegative(long timeout) => new(
        $"Таймаут не может быть отрицательным, передано {timeout}",
        $"Timeout cannot be negative, got {timeout}");

    public static LocalizedText TimeoutTooLong(long timeout, long maximum) => new(
        $"Таймаут не может быть больше {maximum} мс (около 24 суток), передано {timeout}",
        $"Timeout cannot exceed {maximum} ms (about 24 days), got {timeout}");
}
