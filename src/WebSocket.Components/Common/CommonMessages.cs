using OneC.NativeApi.Components;

namespace WebSocketAddIn.Components.Common;

internal static class CommonMessages
{
    public static LocalizedText TimeoutNegative(long timeout) => new(
        $"Таймаут не может быть отрицательным, передано {timeout}",
        $"Timeout cannot be negative, got {timeout}");
}
