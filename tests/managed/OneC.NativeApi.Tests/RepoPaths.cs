using System;
using System.IO;

namespace OneC.NativeApi.Tests;

/// <summary>Where the repository and its artefacts are, wherever the test assembly runs from.</summary>
internal static class RepoPaths
{
    /// <summary>The repository root: WEBSOCKET_REPO_DIR, else the first parent of the test assembly holding VERSION and src/OneC.NativeApi.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The 1C package under test: WEBSOCKET_ADDIN_ZIP (as for the native host), else &lt;repo&gt;/dist/WebSocket.zip.</summary>
    public static string Package =>
        Environment.GetEnvironmentVariable("WEBSOCKET_ADDIN_ZIP") is { Length: > 0 } path
            ? Path.GetFullPath(path)
            : Path.Combine(Root, "dist", "WebSocket.zip");

    public static string NativeHostInclude => Path.Combine(Root, "tests", "native-host", "include");

    public static string LayoutProbe => Path.Combine(Root, "tests", "abi-layout", "layout_probe.cpp");

    private static string FindRoot()
    {
        if (Environment.GetEnvironmentVariable("WEBSOCKET_REPO_DIR") is { Length: > 0 } explicitRoot)
        {
            return Path.GetFullPath(explicitRoot);
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "VERSION")) && Directory.Exists(Path.Combine(dir.FullName, "src", "OneC.NativeApi")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No repository root above {AppContext.BaseDirectory}; set WEBSOCKET_REPO_DIR.");
    }
}
