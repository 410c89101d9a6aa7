using System;
using System.IO;
using System.Linq;
using Xunit;

namespace OneC.NativeApi.Tests;

/// <summary>
/// dist/WebSocket.zip (or WEBSOCKET_ADDIN_ZIP) against its MANIFEST.XML: what 1C would load from it.
/// A missing package fails: run ./build.sh first.
/// </summary>
public sealed class PackageTests
{
    [Fact]
    public void PackageMatchesItsManifest()
    {
        var package = RepoPaths.Package;
        Assert.True(File.Exists(package), $"{package} does not exist: run ./build.sh (or set WEBSOCKET_ADDIN_ZIP)");
        var version = File.ReadAllText(Path.Combine(RepoPaths.Root, "VERSION")).Trim();
        var problems = PackageValidator.Problems(package, version);
        Assert.True(problems.Count == 0, $"{package}:\n  " + string.Join("\n  ", problems));
    }

    /// <summary>./build.sh builds both; build.ps1 on Windows may add the 32-bit one.</summary>
    [Fact]
    public void PackageCarriesTheLinuxAndWindowsX64Libraries()
    {
        var package = RepoPaths.Package;
        Assert.True(File.Exists(package), $"{package} does not exist: run ./build.sh (or set WEBSOCKET_ADDIN_ZIP)");
        var components = PackageValidator.ReadManifest(package);
        Assert.Contains(components, c => c is { Os: "Linux", Arch: "x86_64", Type: "native" });
        Assert.Contains(components, c => c is { Os: "Windows", Arch: "x86_64", Type: "native" });
        // The file names are documented (docs/windows-build.md): they are kept.
        Assert.Contains(components, c => c is { Os: "Linux", Path: "WebSocket_x64.so" });
        Assert.Contains(components, c => c is { Os: "Windows", Arch: "x86_64", Path: "WebSocket_x64.dll" });
        // A 32-bit Windows library comes from build.ps1; when present it has passed PackageMatchesItsManifest.
        Assert.All(components.Where(c => c.Os == "Windows"), c => Assert.Contains(c.Arch, new[] { "i386", "x86_64" }));
    }
}
