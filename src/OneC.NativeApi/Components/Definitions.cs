using System;
using System.Collections.Generic;

namespace OneC.NativeApi.Components;

/// <summary>A default value of an optional parameter, as 1C would pass it.</summary>
public abstract record DefaultValue
{
    public sealed record Text(string Value) : DefaultValue;

    public sealed record Number(long Value) : DefaultValue;

    public sealed record Flag(bool Value) : DefaultValue;

    /// <summary>Неопределено: the method tells "not given" from every value that can be given.</summary>
    public sealed record Undefined : DefaultValue;
}

public sealed record ParameterDefinition(string EnglishName, string RussianName, ValueKind Kind, DefaultValue? Default = null)
{
    public string NameIn(UserLanguage language) => language == UserLanguage.Russian ? RussianName : EnglishName;
}

/// <summary>A method's handler: reads arguments from, and writes its results into, the call.</summary>
public delegate void MethodHandler(AddInComponent component, ref MethodCall call);

public sealed record MethodDefinition(
    string EnglishName,
    string RussianName,
    bool ReturnsValue,
    IReadOnlyList<ParameterDefinition> Parameters,
    MethodHandler Handler)
{
    /// <summary>More names 1C code may call the method by (found by FindMethod, never listed by GetMethodName).</summary>
    public IReadOnlyList<string> ExtraNames { get; init; } = [];

    /// <summary>Parameters that must be given: those before the first one with a default.</summary>
    public int RequiredParameterCount
    {
        get
        {
            var count = 0;
            while (count < Parameters.Count && Parameters[count].Default is null)
            {
                count++;
            }

            return count;
        }
    }
}

public delegate void PropertyGetter(AddInComponent component, ref PropertyValue value);

public delegate void PropertySetter(AddInComponent component, ref PropertyValue value);

public sealed record PropertyDefinition(
    string EnglishName,
    string RussianName,
    ValueKind Kind,
    PropertyGetter Getter,
    PropertySetter? Setter = null);

/// <summary>Shorthands that keep a component's table readable: one line a member.</summary>
public static class Declare
{
    public static MethodDefinition Function<TComponent>(string english, string russian, MethodHandler<TComponent> handler, params ParameterDefinition[] parameters)
        where TComponent : AddInComponent =>
        new(english, russian, true, parameters, (AddInComponent component, ref MethodCall call) => handler((TComponent)component, ref call));

    public static MethodDefinition Procedure<TComponent>(string english, string russian, MethodHandler<TComponent> handler, params ParameterDefinition[] parameters)
        where TComponent : AddInComponent =>
        new(english, russian, false, parameters, (AddInComponent component, ref MethodCall call) => handler((TComponent)component, ref call));

    public static MethodDefinition AlsoNamed(this MethodDefinition method, params string[] names) => method with { ExtraNames = names };

    public static ParameterDefinition Parameter(string english, string russian, ValueKind kind) => new(english, russian, kind);

    public static ParameterDefinition Optional(string english, string russian, ValueKind kind, DefaultValue defaultValue) =>
        new(english, russian, kind, defaultValue);

    public static PropertyDefinition ReadOnly<TComponent>(string english, string russian, ValueKind kind, PropertyGetter<TComponent> getter)
        where TComponent : AddInComponent =>
        new(english, russian, kind, (AddInComponent component, ref PropertyValue value) => getter((TComponent)component, ref value));

    public static PropertyDefinition ReadWrite<TComponent>(string english, string russian, ValueKind kind, PropertyGetter<TComponent> getter, PropertySetter<TComponent> setter)
        where TComponent : AddInComponent =>
        new(
            english,
            russian,
            kind,
            (AddInComponent component, ref PropertyValue value) => getter((TComponent)component, ref value),
            (AddInComponent component, ref PropertyValue value) => setter((TComponent)component, ref value));
}

public delegate void MethodHandler<in TComponent>(TComponent component, ref MethodCall call);

public delegate void PropertyGetter<in TComponent>(TComponent component, ref PropertyValue value);

public delegate void PropertySetter<in TComponent>(TComponent component, ref PropertyValue value);
