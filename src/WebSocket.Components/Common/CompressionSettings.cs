using OneC.NativeApi.Components;
using WebSocketAddIn.Engine.Connections;
using static OneC.NativeApi.Components.Declare;

namespace WebSocketAddIn.Components.Common;

/// <summary>
/// The three compression properties both objects have (Сжатие, СжатиеОкноБит, СжатиеСКонтекстом),
/// as one setting; they apply at the next Запустить / Подключиться.
/// </summary>
internal sealed class CompressionSettings
{
    public bool Enabled { get; set; }

    public int WindowBits { get; set; } = 15;

    public bool ContextTakeover { get; set; } = true;

    /// <summary>What the engine is given: null when off.</summary>
    public Compression? ForEngine => Enabled ? new Compression(WindowBits, ContextTakeover) : null;

    /// <summary>The properties, for a component's table; <paramref name="of"/> finds the settings of an object.</summary>
    public static PropertyDefinition[] Properties<TComponent>(System.Func<TComponent, CompressionSettings> of)
        where TComponent : AddInComponent =>
    [
        ReadWrite<TComponent>("Compression", "Сжатие", ValueKind.Boolean,
            (component, ref value) => value.SetBoolean(of(component).Enabled),
            (component, ref value) => of(component).Enabled = value.GetBoolean()),
        ReadWrite<TComponent>("CompressionWindowBits", "СжатиеОкноБит", ValueKind.Number,
            (component, ref value) => value.SetNumber(of(component).WindowBits),
            (component, ref value) => of(component).WindowBits = (int)Limits.Check(value.GetInteger(), Limits.CompressionWindow)),
        ReadWrite<TComponent>("CompressionContextTakeover", "СжатиеСКонтекстом", ValueKind.Boolean,
            (component, ref value) => value.SetBoolean(of(component).ContextTakeover),
            (component, ref value) => of(component).ContextTakeover = value.GetBoolean()),
    ];
}
