using System;

namespace OneC.NativeApi.Components;

/// <summary>
/// A failure to report to 1C code as an exception (AddError 1006, then the method returns false),
/// with the text in both languages.
/// </summary>
public class AddInException : Exception
{
    public AddInException(LocalizedText text, Exception? inner = null)
        : base(text.English, inner) => Text = text;

    public LocalizedText Text { get; }
}
