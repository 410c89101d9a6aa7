using System;
using System.Runtime.InteropServices;

namespace OneC.NativeApi.Interop;

/// <summary>WCHAR_T strings as the platform hands them over: UTF-16, zero-terminated, 2 bytes a unit on every target.</summary>
public static unsafe class NativeText
{
    /// <summary>A view of a zero-terminated string; empty for null. No copy.</summary>
    public static ReadOnlySpan<char> View(char* text) =>
        text == null ? ReadOnlySpan<char>.Empty : MemoryMarshal.CreateReadOnlySpanFromNullTerminated(text);

    public static string ToManaged(char* text) => text == null ? string.Empty : new string(View(text));

    /// <summary>A zero-terminated copy in unmanaged memory that lives as long as the process (for GetClassNames).</summary>
    public static char* AllocatePermanent(string text)
    {
        var buffer = (char*)NativeMemory.Alloc((nuint)(text.Length + 1), sizeof(char));
        text.AsSpan().CopyTo(new Span<char>(buffer, text.Length));
        buffer[text.Length] = '\0';
        return buffer;
    }
}
