using System;
using OneC.NativeApi.Components;
using WebSocketAddIn.Engine.Connections;
using static OneC.NativeApi.Components.Declare;

namespace WebSocketAddIn.Components.Common;

/// <summary>
/// ИнтервалПинга and ТаймаутПинга, which both objects have over their <see cref="ConnectionLimits"/>
/// (in ms; they apply at the next Запустить / Подключиться).
/// </summary>
internal static class PingProperties
{
    /// <summary>The properties, for a component's table; <paramref name="get"/> and <paramref name="set"/> reach the object's limits.</summary>
    public static PropertyDefinition[] Of<TComponent>(Func<TComponent, ConnectionLimits> get, Action<TComponent, ConnectionLimits> set)
        where TComponent : AddInComponent =>
    [
        ReadWrite<TComponent>("PingInterval", "ИнтервалПинга", ValueKind.Number,
            (component, ref value) => value.SetNumber((long)get(component).KeepAliveInterval.TotalMilliseconds),
            (component, ref value) => set(component, get(component) with { KeepAliveInterval = TimeSpan.FromMilliseconds(Limits.Check(value.GetInteger(), Limits.PingInterval)) })),
        ReadWrite<TComponent>("PingTimeout", "ТаймаутПинга", ValueKind.Number,
            (component, ref value) => value.SetNumber((long)get(component).KeepAliveTimeout.TotalMilliseconds),
            (component, ref value) => set(component, get(component) with { KeepAliveTimeout = TimeSpan.FromMilliseconds(Limits.Check(value.GetInteger(), Limits.PingTimeout)) })),
    ];
}
