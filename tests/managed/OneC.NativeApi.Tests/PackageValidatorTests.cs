using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using Xunit;

namespace OneC.NativeApi.Tests;

/// <summary>
/// The package check must catch what it is there to catch. The 32-bit Windows library cannot be built
/// here and broken ones are needed too, so tiny PE DLLs with chosen exports are linked with clang +
/// lld-link (package lld) to exercise the PE reader; the Linux library is taken from the real package.
/// </summary>
public sealed class PackageValidatorTests : IClassFixture<PackageValidatorTests.Fixture>
{
    private const string Manifest = """
        <?xml version="1.0" encoding="UTF-8"?>
        <bundle xmlns="http://v8.1c.ru/8.2/addin/bundle" name="WebSocket">
        {0}
        </bundle>
        """;

    private const string Info = """
        <?xml version="1.0" encoding="UTF-8"?>
        <drivers>
          <!-- License: MIT (the LICENSE file of the source repository) -->
          <component progid="AddIn.WebSocket" name="WebSocket server and client" version="1.0.0.0"/>
        </drivers>
        """;

    private readonly Fixture _fixture;

    public PackageValidatorTests(Fixture fixture) => _fixture = fixture;

    [Fact]
    public void ReadsPeMachineAndExports()
    {
        var x64 = NativeBinary.Read(_fixture.DllX64);
        Assert.Equal((NativeBinary.Pe, "x86_64", true), (x64.Format, x64.Machine, x64.IsSharedLibrary));
        Assert.Equal(PackageValidator.RequiredExports.Order(), x64.Exports.Order());
        var x86 = NativeBinary.Read(_fixture.DllX86);
        Assert.Equal((NativeBinary.Pe, "i386", true), (x86.Format, x86.Machine, x86.IsSharedLibrary));
        // cdecl exports of an x86 DLL keep their plain names (no _Name or Name@N).
        Assert.Equal(PackageValidator.RequiredExports.Order(), x86.Exports.Order());
    }

    [Fact]
    public void AcceptsAFullPackage()
    {
        var zip = _fixture.Write("full", """
              <component os="Windows" path="WebSocket_x86.dll" type="native" arch="i386"/>
              <component os="Windows" path="WebSocket_x64.dll" type="native" arch="x86_64"/>
              <component os="Linux" path="WebSocket_x64.so" type="native" arch="x86_64"/>
            """, ("WebSocket_x86.dll", _fixture.DllX86), ("websocket_X64.DLL", _fixture.DllX64), ("WebSocket_x64.so", _fixture.LinuxLibrary));
        Assert.Empty(PackageValidator.Problems(zip, "1.0.0.0"));
    }

    [Theory]
    [InlineData("missing", """<component os="Linux" path="WebSocket_x64.so" type="native" arch="x86_64"/><component os="Windows" path="WebSocket_x64.dll" type="native" arch="x86_64"/>""", "is not in the ZIP")]
    [InlineData("unlisted", "", "MANIFEST.XML lists no component")]
    [InlineData("os", """<component os="linux" path="WebSocket_x64.so" type="native" arch="x86_64"/>""", "os 'linux'")]
    [InlineData("arch", """<component os="Linux" path="WebSocket_x64.so" type="native" arch="x64"/>""", "arch 'x64'")]
    [InlineData("type", """<component os="Linux" path="WebSocket_x64.so" type="com" arch="x86_64"/>""", "type 'com'")]
    [InlineData("machine", """<component os="Linux" path="WebSocket_x64.so" type="native" arch="i386"/>""", "machine is x86_64")]
    [InlineData("format", """<component os="Windows" path="WebSocket_x64.so" type="native" arch="x86_64"/>""", "is ELF, expected PE")]
    public void RejectsBrokenPackages(string name, string components, string expected)
    {
        var zip = _fixture.Write(name, components, ("WebSocket_x64.so", _fixture.LinuxLibrary));
        var problems = PackageValidator.Problems(zip, "1.0.0.0");
        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void RejectsAnUnlistedLibraryAndWrongExports()
    {
        var zip = _fixture.Write("extra", """<component os="Windows" path="WebSocket_x64.dll" type="native" arch="x86_64"/>""",
            ("WebSocket_x64.dll", _fixture.DllMissingExport), ("WebSocket_x86.dll", _fixture.DllX86));
        var problems = PackageValidator.Problems(zip, "1.0.0.0");
        Assert.Contains(problems, p => p.Contains("'WebSocket_x86.dll' is in the ZIP but MANIFEST.XML does not list it", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("does not export GetAttachType", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("exports more than the Native API: Extra", StringComparison.Ordinal));
    }

    [Fact]
    public void RejectsAStalePackageAndAMissingFile()
    {
        var zip = _fixture.Write("stale", """<component os="Linux" path="WebSocket_x64.so" type="native" arch="x86_64"/>""", ("WebSocket_x64.so", _fixture.LinuxLibrary));
        Assert.Contains(PackageValidator.Problems(zip, "2.0.0.0"), p => p.Contains("stale package", StringComparison.Ordinal));
        Assert.Contains(PackageValidator.Problems(zip + ".absent", null), p => p.Contains("does not exist", StringComparison.Ordinal));
    }

    public sealed class Fixture : IDisposable
    {
        private const string Stub = """
            typedef unsigned short wchar16;
            long GetClassObject(const wchar16* name, void** component) { return name && component ? 0 : 1; }
            long DestroyObject(void** component) { return component ? 0 : -1; }
            const wchar16* GetClassNames(void) { return 0; }
            int SetPlatformCapabilities(int capabilities) { return capabilities; }
            int GetAttachType(void) { return 3; }
            int Extra(void) { return 0; }
            """;

        private readonly string _dir = Directory.CreateTempSubdirectory("package-validator-").FullName;

        public Fixture()
        {
            File.WriteAllText(Path.Combine(_dir, "stub.c"), Stub);
            var all = PackageValidator.RequiredExports.ToArray();
            DllX64 = Link("x86_64-pc-windows-msvc", "x64", "x64.dll", all);
            DllX86 = Link("i686-pc-windows-msvc", "x86", "x86.dll", all);
            DllMissingExport = Link("x86_64-pc-windows-msvc", "x64", "missing.dll", [.. all.Where(e => e != "GetAttachType"), "Extra"]);

            // The Linux library of the real package (or any ELF x86-64 shared object with the exports).
            var package = RepoPaths.Package;
            if (!File.Exists(package))
            {
                throw new FileNotFoundException($"{package} does not exist: run ./build.sh (or set WEBSOCKET_ADDIN_ZIP)");
            }

            using var zip = ZipFile.OpenRead(package);
            var linux = PackageValidator.ReadManifest(package).First(c => c.Os == "Linux");
            using var stream = zip.Entries.First(e => e.FullName.Equals(linux.Path, StringComparison.OrdinalIgnoreCase)).Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            LinuxLibrary = copy.ToArray();
        }

        public byte[] DllX64 { get; }

        public byte[] DllX86 { get; }

        public byte[] DllMissingExport { get; }

        public byte[] LinuxLibrary { get; }

        public string Write(string name, string components, params (string Name, byte[] Bytes)[] files)
        {
            var path = Path.Combine(_dir, name + ".zip");
            File.Delete(path);
            using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
            Add(zip, "MANIFEST.XML", Encoding.UTF8.GetBytes(string.Format(System.Globalization.CultureInfo.InvariantCulture, Manifest, components)));
            Add(zip, "INFO.XML", Encoding.UTF8.GetBytes(Info));
            foreach (var (entry, bytes) in files)
            {
                Add(zip, entry, bytes);
            }

            return path;
        }

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        private static void Add(ZipArchive zip, string name, byte[] bytes)
        {
            using var stream = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
            stream.Write(bytes);
        }

        private byte[] Link(string triple, string machine, string output, IEnumerable<string> exports)
        {
            var obj = Path.Combine(_dir, $"stub-{machine}.obj");
            Run(Environment.GetEnvironmentVariable("CLANG") is { Length: > 0 } c ? c : "clang", ["-target", triple, "-O1", "-c", Path.Combine(_dir, "stub.c"), "-o", obj]);
            var dll = Path.Combine(_dir, output);
            Run("lld-link", ["/dll", "/noentry", "/nodefaultlib", $"/machine:{machine}", $"/out:{dll}", obj, .. exports.Select(e => $"/export:{e}")]);
            return File.ReadAllBytes(dll);
        }

        private static void Run(string tool, IEnumerable<string> args)
        {
            var start = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            try
            {
                using var process = Process.Start(start)!;
                var output = process.StandardOutput.ReadToEndAsync();
                var error = process.StandardError.ReadToEnd();
                process.WaitForExit();
                if (process.ExitCode != 0)
                {
                    throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed ({process.ExitCode}):\n{output.Result}{error}");
                }
            }
            catch (Win32Exception e)
            {
                throw new InvalidOperationException($"'{tool}' not found: these tests need clang and lld (apt-get install clang lld)", e);
            }
        }
    }
}
