using System;

namespace OneC.NativeApi.Components;

public enum UserLanguage
{
    English,
    Russian,
}

/// <summary>
/// Which language the user reads. The interface language code (SetUserInterfaceLanguageCode, per
/// user: "ru", "en") wins over the locale (SetLocale, per process: "ru_RU", "rus_RUS"), which
/// some hosts send alone. English where neither says Russian.
/// </summary>
public sealed class UserLanguageSelector
{
    private UserLanguage? _fromInterfaceLanguage;
    private UserLanguage? _fromLocale;

    public UserLanguage Current => _fromInterfaceLanguage ?? _fromLocale ?? UserLanguage.English;

    public void SetInterfaceLanguageCode(ReadOnlySpan<char> code) => _fromInterfaceLanguage = Parse(code);

    public void SetLocale(ReadOnlySpan<char> locale) => _fromLocale = Parse(locale);

    private static UserLanguage? Parse(ReadOnlySpan<char> code)
    {
        if (code.IsEmpty)
        {
            return null;
        }

        return code.StartsWith("ru", StringComparison.OrdinalIgnoreCase) ? UserLanguage.Russian : UserLanguage.English;
    }
}
