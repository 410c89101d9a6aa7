namespace OneC.NativeApi.Components;

/// <summary>A text in both languages the add-in speaks; the component picks one by the user's language.</summary>
public readonly record struct LocalizedText(string Russian, string English)
{
    public string In(UserLanguage language) => language == UserLanguage.Russian ? Russian : English;
}
