using System;
using OneC.NativeApi.Interop;

namespace OneC.NativeApi.Components;

/// <summary>The bridge's own error texts: argument checks and internal failures.</summary>
internal static class BridgeMessages
{
    public static LocalizedText BadCast(int position, ParameterDefinition parameter, Variant given) => new(
        $"<bad cast>: параметр {position} ({parameter.RussianName}) ожидается {KindName(parameter.Kind, UserLanguage.Russian)}, передано {TypeName(given, UserLanguage.Russian)}",
        $"<bad cast>: parameter {position} ({parameter.EnglishName}) expects {KindName(parameter.Kind, UserLanguage.English)}, got {TypeName(given, UserLanguage.English)}");

    public static LocalizedText BadPropertyCast(PropertyDefinition property, Variant given) => new(
        $"<bad cast>: свойство {property.RussianName} ожидает {KindName(property.Kind, UserLanguage.Russian)}, передано {TypeName(given, UserLanguage.Russian)}",
        $"<bad cast>: property {property.EnglishName} expects {KindName(property.Kind, UserLanguage.English)}, got {TypeName(given, UserLanguage.English)}");

    public static LocalizedText NotWholeNumber(int position, ParameterDefinition parameter, double given) => new(
        $"Параметр {position} ({parameter.RussianName}) должен быть целым числом, передано {given}",
        $"Parameter {position} ({parameter.EnglishName}) must be a whole number, got {given}");

    public static LocalizedText TooFewArguments(MethodDefinition method, int given) => new(
        $"Метод {method.RussianName}: недостаточно параметров: ожидается не менее {method.RequiredParameterCount}, передано {given}",
        $"Method {method.EnglishName}: too few parameters: expects at least {method.RequiredParameterCount}, got {given}");

    public static LocalizedText TooManyArguments(MethodDefinition method, int given) => new(
        $"Метод {method.RussianName}: слишком много параметров: ожидается не более {method.Parameters.Count}, передано {given}",
        $"Method {method.EnglishName}: too many parameters: expects at most {method.Parameters.Count}, got {given}");

    public static LocalizedText PropertyReadOnly(PropertyDefinition property) => new(
        $"Свойство {property.RussianName} только для чтения",
        $"Property {property.EnglishName} is read-only");

    public static LocalizedText NoMemoryManager { get; } = new(
        "Платформа не передала менеджер памяти: вернуть значение невозможно",
        "The platform gave no memory manager: the value cannot be returned");

    public static LocalizedText PlatformOutOfMemory(int bytes) => new(
        $"Платформа не смогла выделить память ({bytes} байт) для результата",
        $"The platform could not allocate memory ({bytes} bytes) for the result");

    public static LocalizedText OutOfMemory { get; } = new(
        "Недостаточно памяти для выполнения операции",
        "Not enough memory to complete the operation");

    public static LocalizedText Internal(Exception exception) => new(
        $"Внутренняя ошибка компоненты: {exception.GetType().Name}: {exception.Message}",
        $"Internal add-in error: {exception.GetType().Name}: {exception.Message}");

    public static string KindName(ValueKind kind, UserLanguage language) => (kind, language) switch
    {
        (ValueKind.Number, UserLanguage.Russian) => "Число",
        (ValueKind.Number, _) => "Number",
        (ValueKind.String, UserLanguage.Russian) => "Строка",
        (ValueKind.String, _) => "String",
        (ValueKind.Boolean, UserLanguage.Russian) => "Булево",
        (ValueKind.Boolean, _) => "Boolean",
        (ValueKind.Binary, UserLanguage.Russian) => "ДвоичныеДанные",
        (ValueKind.Binary, _) => "BinaryData",
        (ValueKind.StringOrBinary, UserLanguage.Russian) => "Строка или ДвоичныеДанные",
        (ValueKind.StringOrBinary, _) => "String or BinaryData",
        (_, UserLanguage.Russian) => "Произвольный",
        _ => "Arbitrary",
    };

    public static string TypeName(Variant value, UserLanguage language)
    {
        var russian = language == UserLanguage.Russian;
        if (value.IsNumber)
        {
            return russian ? "Число" : "Number";
        }

        return value.Type switch
        {
            VariantType.Empty => russian ? "Неопределено" : "Undefined",
            VariantType.Null => "NULL",
            VariantType.Bool => russian ? "Булево" : "Boolean",
            VariantType.PWStr or VariantType.PStr => russian ? "Строка" : "String",
            VariantType.Blob => russian ? "ДвоичныеДанные" : "BinaryData",
            VariantType.Tm or VariantType.Date => russian ? "Дата" : "Date",
            var other => russian ? $"тип {(int)other}" : $"type {(int)other}",
        };
    }
}
