namespace WebSocketAddIn.Engine.Diagnostics;

/// <summary>The administrators' log of a server: a file, what goes into it, and how large it may grow.</summary>
/// <param name="Path">The file; the previous one is kept as Path + ".1" when it reaches <paramref name="MaxBytes"/>.</param>
/// <param name="Everything">True: every connection and refusal ("info"); false: refusals and abnormal ends only ("warning").</param>
public sealed record LogSettings(string Path, bool Everything = true, long MaxBytes = 10L * 1024 * 1024);
