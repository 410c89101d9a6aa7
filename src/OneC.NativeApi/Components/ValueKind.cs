namespace OneC.NativeApi.Components;

/// <summary>The 1C types a parameter or property is declared with, named for error texts.</summary>
public enum ValueKind
{
    /// <summary>Any value: the handler inspects it itself.</summary>
    Any,
    Number,
    String,
    Boolean,
    Binary,

    /// <summary>Строка or ДвоичныеДанные, as a message body.</summary>
    StringOrBinary,
}
