using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml;
using System.Xml.Linq;

namespace OneC.NativeApi.Tests;

/// <summary>
/// Checks a 1C add-in package (a ZIP with MANIFEST.XML) the way the platform reads it: file names
/// match case-insensitively, every component names a library in the ZIP, and nothing else is
/// carried. Returns the problems found, so that tests can also prove it rejects broken packages.
/// </summary>
internal static class PackageValidator
{
    public const string BundleNamespace = "http://v8.1c.ru/8.2/addin/bundle";

    /// <summary>The exports of every library in the package (native-api.md, section 2).</summary>
    public static readonly IReadOnlySet<string> RequiredExports = new HashSet<string>(StringComparer.Ordinal)
    {
        "GetClassObject", "DestroyObject", "GetClassNames", "SetPlatformCapabilities", "GetAttachType",
    };

    /// <summary>NativeAOT always exports this data symbol (for debuggers); it is harmless.</summary>
    public static readonly IReadOnlySet<string> AllowedExtraExports = new HashSet<string>(StringComparer.Ordinal)
    {
        "DotNetRuntimeDebugHeader",
    };

    private static readonly string[] OsValues = ["Windows", "Linux", "MacOS"];
    private static readonly string[] ArchValues = ["i386", "x86_64", "Universal"];
    private static readonly string[] ComponentAttributes = ["os", "path", "type", "arch"];

    public sealed record Component(string Os, string Arch, string Type, string Path);

    public static IReadOnlyList<Component> ReadManifest(string zipPath)
    {
        using var zip = ZipFile.OpenRead(zipPath);
        var entry = Find(zip, "MANIFEST.XML") ?? throw new InvalidDataException("no MANIFEST.XML");
        using var stream = entry.Open();
        return XDocument.Load(stream).Root!.Elements(XName.Get("component", BundleNamespace))
            .Select(c => new Component((string?)c.Attribute("os") ?? "", (string?)c.Attribute("arch") ?? "",
                (string?)c.Attribute("type") ?? "", (string?)c.Attribute("path") ?? ""))
            .ToList();
    }

    public static List<string> Problems(string zipPath, string? expectedVersion)
    {
        var problems = new List<string>();
        if (!File.Exists(zipPath))
        {
            problems.Add($"{zipPath} does not exist (run ./build.sh, or set WEBSOCKET_ADDIN_ZIP)");
            return problems;
        }

        using var zip = ZipFile.OpenRead(zipPath);
        var names = zip.Entries.Select(e => e.FullName).ToList();
        foreach (var duplicate in names.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            problems.Add($"ZIP entries differing only in case (1C cannot tell them apart): {string.Join(", ", duplicate)}");
        }

        foreach (var name in names.Where(n => n.EndsWith('/') || n.Contains('\\', StringComparison.Ordinal)))
        {
            problems.Add($"ZIP entry '{name}' is a directory or has a backslash");
        }

        var manifestEntry = Find(zip, "MANIFEST.XML");
        if (manifestEntry is null)
        {
            problems.Add("no MANIFEST.XML in the package");
            return problems;
        }

        if (manifestEntry.FullName != "MANIFEST.XML")
        {
            problems.Add($"the manifest is named '{manifestEntry.FullName}', expected 'MANIFEST.XML'");
        }

        XDocument manifest;
        try
        {
            using var stream = manifestEntry.Open();
            manifest = XDocument.Load(stream);
        }
        catch (XmlException e)
        {
            problems.Add($"MANIFEST.XML is not XML: {e.Message}");
            return problems;
        }

        var bundle = manifest.Root!;
        if (bundle.Name != XName.Get("bundle", BundleNamespace))
        {
            problems.Add($"MANIFEST.XML root is {bundle.Name}, expected {{{BundleNamespace}}}bundle");
        }

        var bundleName = (string?)bundle.Attribute("name");
        if (string.IsNullOrEmpty(bundleName))
        {
            problems.Add("MANIFEST.XML: <bundle> has no name");
        }

        foreach (var element in bundle.Elements().Where(e => e.Name != XName.Get("component", BundleNamespace)))
        {
            problems.Add($"MANIFEST.XML: unexpected element {element.Name}");
        }

        var components = bundle.Elements(XName.Get("component", BundleNamespace)).ToList();
        if (components.Count == 0)
        {
            problems.Add("MANIFEST.XML lists no component");
        }

        var listed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var platforms = new HashSet<string>(StringComparer.Ordinal);
        foreach (var element in components)
        {
            var where = $"MANIFEST.XML component {element}";
            foreach (var attribute in element.Attributes().Where(a => !ComponentAttributes.Contains(a.Name.LocalName)))
            {
                problems.Add($"{where}: unexpected attribute {attribute.Name}");
            }

            var os = (string?)element.Attribute("os") ?? "";
            var arch = (string?)element.Attribute("arch") ?? "";
            var type = (string?)element.Attribute("type") ?? "";
            var path = (string?)element.Attribute("path") ?? "";
            if (!OsValues.Contains(os))
            {
                problems.Add($"{where}: os '{os}' is not one of {string.Join(", ", OsValues)}");
            }

            if (!ArchValues.Contains(arch) || (arch == "Universal" && os != "MacOS"))
            {
                problems.Add($"{where}: arch '{arch}' is not one of i386, x86_64 (Universal: MacOS only)");
            }

            if (type != "native")
            {
                problems.Add($"{where}: type '{type}' is not 'native'");
            }

            if (!platforms.Add($"{os}/{arch}"))
            {
                problems.Add($"{where}: a second component for {os} {arch}");
            }

            if (!listed.Add(path))
            {
                problems.Add($"{where}: path '{path}' listed twice");
            }

            var entry = Find(zip, path);
            if (entry is null)
            {
                problems.Add($"{where}: '{path}' is not in the ZIP (entries: {string.Join(", ", names)})");
                continue;
            }

            problems.AddRange(CheckLibrary(entry, os, arch).Select(p => $"{path}: {p}"));
        }

        foreach (var name in names.Where(n => !n.Equals("MANIFEST.XML", StringComparison.OrdinalIgnoreCase)
                     && !n.Equals("INFO.XML", StringComparison.OrdinalIgnoreCase) && !listed.Contains(n)))
        {
            problems.Add($"'{name}' is in the ZIP but MANIFEST.XML does not list it");
        }

        var info = Find(zip, "INFO.XML");
        if (info is null)
        {
            problems.Add("no INFO.XML in the package (make-package.py and build.ps1 always write one)");
        }
        else
        {
            problems.AddRange(CheckInfo(info, bundleName, expectedVersion));
        }

        return problems;
    }

    private static IEnumerable<string> CheckLibrary(ZipArchiveEntry entry, string os, string arch)
    {
        byte[] bytes;
        using (var stream = entry.Open())
        using (var copy = new MemoryStream())
        {
            stream.CopyTo(copy);
            bytes = copy.ToArray();
        }

        NativeBinary binary;
        try
        {
            binary = NativeBinary.Read(bytes);
        }
        catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            return [$"unreadable as a native library: {e.Message}"];
        }

        var expectedFormat = os switch
        {
            "Windows" => NativeBinary.Pe,
            "Linux" => NativeBinary.Elf,
            _ => NativeBinary.MachO,
        };
        var problems = new List<string>();
        if (binary.Format != expectedFormat)
        {
            problems.Add($"is {binary.Format}, expected {expectedFormat} for os {os}");
            return problems;
        }

        if (binary.Machine != arch)
        {
            problems.Add($"machine is {binary.Machine}, the manifest says arch {arch}");
        }

        if (!binary.IsSharedLibrary)
        {
            problems.Add("is not a shared library (ELF ET_DYN / PE IMAGE_FILE_DLL)");
        }

        if (binary.Format == NativeBinary.MachO)
        {
            return problems; // No export table reader for Mach-O: we ship none.
        }

        var missing = RequiredExports.Except(binary.Exports).ToList();
        var extra = binary.Exports.Except(RequiredExports).Except(AllowedExtraExports).ToList();
        if (missing.Count > 0)
        {
            problems.Add($"does not export {string.Join(", ", missing)}");
        }

        if (extra.Count > 0)
        {
            problems.Add($"exports more than the Native API: {string.Join(", ", extra.Take(20))}{(extra.Count > 20 ? $" (+{extra.Count - 20})" : "")}");
        }

        return problems;
    }

    private static IEnumerable<string> CheckInfo(ZipArchiveEntry entry, string? bundleName, string? expectedVersion)
    {
        XDocument info;
        try
        {
            using var stream = entry.Open();
            info = XDocument.Load(stream);
        }
        catch (XmlException e)
        {
            return [$"INFO.XML is not XML: {e.Message}"];
        }

        var problems = new List<string>();
        if (info.Root!.Name.LocalName != "drivers")
        {
            problems.Add($"INFO.XML root is <{info.Root.Name}>, expected <drivers>");
        }

        var component = info.Root.Element(info.Root.Name.Namespace + "component");
        if (component is null)
        {
            problems.Add("INFO.XML has no <component>");
            return problems;
        }

        var progid = (string?)component.Attribute("progid");
        if (progid != $"AddIn.{bundleName}")
        {
            problems.Add($"INFO.XML progid '{progid}', expected 'AddIn.{bundleName}'");
        }

        var version = (string?)component.Attribute("version");
        if (string.IsNullOrEmpty(version) || !Version.TryParse(version, out _))
        {
            problems.Add($"INFO.XML version '{version}' is not a version");
        }
        else if (expectedVersion is not null && version != expectedVersion)
        {
            problems.Add($"INFO.XML version '{version}', but VERSION says '{expectedVersion}' (stale package?)");
        }

        if (string.IsNullOrEmpty((string?)component.Attribute("name")))
        {
            problems.Add("INFO.XML component has no name");
        }

        // The license is named in a comment (INFO.XML's readers know only progid, name and version).
        if (!info.Root.Nodes().OfType<XComment>().Any(c => c.Value.Contains("License: MIT", StringComparison.Ordinal)))
        {
            problems.Add("INFO.XML does not name the license (a comment \"License: MIT ...\", see LICENSE)");
        }

        return problems;
    }

    /// <summary>1C matches names in the package case-insensitively.</summary>
    private static ZipArchiveEntry? Find(ZipArchive zip, string name) =>
        zip.Entries.FirstOrDefault(e => e.FullName.Equals(name, StringComparison.OrdinalIgnoreCase));
}
