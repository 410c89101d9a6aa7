using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using OneC.NativeApi.Abi;

namespace OneC.NativeApi.Tests;

/// <summary>
/// What clang says about the SDK declarations (tests/native-host/include/addin) for one target:
/// record layouts (-fdump-record-layouts), vtables (-fdump-vtable-layouts) and, from the LLVM IR,
/// each method's calling convention and parameter count and the probe's enum constants. The input
/// is tests/abi-layout/layout_probe.cpp; one clang run per target (~0.1 s), cached per process.
/// </summary>
internal sealed partial class ClangAbiDump
{
    private static readonly ConcurrentDictionary<AbiTarget, Lazy<ClangAbiDump>> Cache = new();

    private ClangAbiDump(AbiTarget target, string triple, string dump, string ir)
    {
        Target = target;
        Triple = triple;
        Records = ParseRecords(dump);
        VTables = ParseVTables(dump);
        Functions = ParseFunctions(ir);
        Constants = ConstantRegex().Matches(ir).ToDictionary(m => m.Groups[1].Value, m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    public AbiTarget Target { get; }

    public string Triple { get; }

    public IReadOnlyDictionary<string, RecordLayout> Records { get; }

    public IReadOnlyList<VTableSection> VTables { get; }

    public IReadOnlyList<IrFunction> Functions { get; }

    /// <summary>The probe's <c>AbiProbe_&lt;group&gt;_&lt;name&gt;</c> constants, keyed by <c>group_name</c>.</summary>
    public IReadOnlyDictionary<string, long> Constants { get; }

    public static string TripleOf(AbiTarget target) => target switch
    {
        AbiTarget.ItaniumX64 => "x86_64-linux-gnu",
        AbiTarget.MsvcX64 => "x86_64-pc-windows-msvc",
        AbiTarget.MsvcX86 => "i686-pc-windows-msvc",
        _ => throw new ArgumentOutOfRangeException(nameof(target)),
    };

    public static ClangAbiDump For(AbiTarget target) =>
        Cache.GetOrAdd(target, t => new Lazy<ClangAbiDump>(() => Run(t))).Value;

    public RecordLayout Record(string name) =>
        Records.TryGetValue(name, out var record)
            ? record
            : throw new KeyNotFoundException($"clang ({Triple}) dumped no layout for '{name}'; have: {string.Join(", ", Records.Keys)}");

    /// <summary>The vtable the object of class <paramref name="complete"/> has for its <paramref name="subobject"/> base.</summary>
    public VTableSection VTable(string complete, string subobject)
    {
        var found = VTables.Where(v => v.Class == complete && v.Subobjects.Contains(subobject)).ToList();
        return found.Count == 1
            ? found[0]
            : throw new KeyNotFoundException($"clang ({Triple}): {found.Count} vtables of '{complete}' for base '{subobject}'; have: "
                + string.Join("; ", VTables.Select(v => $"{v.Class}[{string.Join("/", v.Subobjects)}]")));
    }

    public IrFunction Function(string? cls, string name)
    {
        var found = Functions.Where(f => f.Class == cls && f.Name == name).ToList();
        return found.Count == 1
            ? found[0]
            : throw new KeyNotFoundException($"clang ({Triple}): {found.Count} IR definitions of {cls}::{name}");
    }

    private static ClangAbiDump Run(AbiTarget target)
    {
        var triple = TripleOf(target);
        var clang = Environment.GetEnvironmentVariable("CLANGXX") is { Length: > 0 } c ? c : "clang++";
        var ir = Path.Combine(Path.GetTempPath(), $"abi-probe-{Environment.ProcessId}-{triple}.ll");
        var start = new ProcessStartInfo(clang)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "-target", triple, "-std=c++17", "-O0", "-S", "-emit-llvm", "-o", ir,
                     "-Xclang", "-fdump-record-layouts", "-Xclang", "-fdump-vtable-layouts",
                     "-I", RepoPaths.NativeHostInclude, RepoPaths.LayoutProbe,
                 })
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {clang}");
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(120_000))
            {
                process.Kill();
                throw new TimeoutException($"{clang} -target {triple} did not finish in 120 s");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"{clang} -target {triple} failed ({process.ExitCode}) on {RepoPaths.LayoutProbe} with {RepoPaths.NativeHostInclude}:\n{stderr.Result}");
            }

            return new ClangAbiDump(target, triple, stdout, File.ReadAllText(ir));
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"'{clang}' not found ({e.Message}): the ABI tests need clang (apt-get install clang) or CLANGXX=path", e);
        }
        finally
        {
            File.Delete(ir);
        }
    }

    // ---- record layouts ---------------------------------------------------------------------------------

    private static Dictionary<string, RecordLayout> ParseRecords(string dump)
    {
        var records = new Dictionary<string, RecordLayout>(StringComparer.Ordinal);
        var lines = dump.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimEnd() != "*** Dumping AST Record Layout")
            {
                continue;
            }

            var body = new List<RecordLine>();
            int? size = null;
            for (i++; i < lines.Length && lines[i].Trim().Length > 0; i++)
            {
                var m = RecordLineRegex().Match(lines[i]);
                if (!m.Success)
                {
                    continue;
                }

                if (m.Groups["off"].Success)
                {
                    body.Add(new RecordLine(int.Parse(m.Groups["off"].Value, CultureInfo.InvariantCulture), (m.Groups["ind"].Length - 1) / 2, m.Groups["text"].Value.TrimEnd()));
                }
                else if (SizeRegex().Match(m.Groups["text"].Value) is { Success: true } s)
                {
                    size = int.Parse(s.Groups[1].Value, CultureInfo.InvariantCulture);
                }
            }

            if (body.Count == 0 || size is null || RecordNameRegex().Match(body[0].Text) is not { Success: true } name)
            {
                continue;
            }

            records.TryAdd(name.Groups[1].Value, new RecordLayout(name.Groups[1].Value, size.Value, body.Skip(1).ToList()));
        }

        return records;
    }

    // ---- vtables --------------------------------------------------------------------------------------

    private static List<VTableSection> ParseVTables(string dump)
    {
        var sections = new List<VTableSection>();
        var lines = dump.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (ItaniumHeadingRegex().Match(lines[i]) is { Success: true } itanium)
            {
                // Itanium: one table per complete class; each base's part starts at its address point
                // ("-- (Base, offset) vtable address --"), after offset_to_top and RTTI.
                var complete = itanium.Groups[1].Value;
                List<string>? names = null;
                List<VTableSlot>? slots = null;
                void Close()
                {
                    if (names is not null)
                    {
                        sections.Add(new VTableSection(complete, names, slots!));
                    }

                    names = null;
                    slots = null;
                }

                for (i++; i < lines.Length && lines[i].Trim().Length > 0; i++)
                {
                    if (AddressPointRegex().Match(lines[i]) is { Success: true } point)
                    {
                        if (slots is { Count: > 0 })
                        {
                            Close();
                        }

                        names ??= [];
                        slots ??= [];
                        names.Add(point.Groups[1].Value);
                    }
                    else if (EntryRegex().Match(lines[i]) is { Success: true } entry)
                    {
                        var text = entry.Groups[2].Value.TrimEnd();
                        if (text.StartsWith("offset_to_top", StringComparison.Ordinal) || text.EndsWith(" RTTI", StringComparison.Ordinal)
                            || text.StartsWith("vcall_offset", StringComparison.Ordinal) || text.StartsWith("vbase_offset", StringComparison.Ordinal))
                        {
                            Close();
                        }
                        else if (slots is not null)
                        {
                            slots.Add(VTableSlot.Parse(slots.Count, text));
                        }
                    }
                }

                Close();
            }
            else if (MsvcHeadingRegex().Match(lines[i]) is { Success: true } msvc)
            {
                // MSVC: one table per vfptr: "VFTable for 'Base' in 'Derived' ... in 'Complete'". The RTTI
                // entry lives before the vfptr's target (vftable[-1]): it is not a slot.
                var chain = QuotedRegex().Matches(msvc.Groups[1].Value).Select(m => m.Groups[1].Value).ToList();
                var slots = new List<VTableSlot>();
                for (i++; i < lines.Length && lines[i].Trim().Length > 0; i++)
                {
                    if (EntryRegex().Match(lines[i]) is { Success: true } entry && !entry.Groups[2].Value.TrimEnd().EndsWith(" RTTI", StringComparison.Ordinal))
                    {
                        slots.Add(VTableSlot.Parse(slots.Count, entry.Groups[2].Value.TrimEnd()));
                    }
                }

                sections.Add(new VTableSection(chain[^1], [chain[0]], slots));
            }
        }

        return sections;
    }

    // ---- LLVM IR ----------------------------------------------------------------------------------------

    private static List<IrFunction> ParseFunctions(string ir)
    {
        var functions = new List<IrFunction>();
        foreach (var line in ir.Split('\n').Where(l => l.StartsWith("define ", StringComparison.Ordinal)))
        {
            var at = line.IndexOf(" @", StringComparison.Ordinal);
            var prefix = line[..at];
            var rest = line[(at + 2)..];
            string symbol;
            if (rest.StartsWith('"'))
            {
                var close = rest.IndexOf('"', 1);
                symbol = rest[1..close];
                rest = rest[(close + 1)..];
            }
            else
            {
                var open = rest.IndexOf('(', StringComparison.Ordinal);
                symbol = rest[..open];
                rest = rest[open..];
            }

            // The parameter list, up to the matching parenthesis (attributes like dereferenceable(16) nest).
            var depth = 0;
            var end = 0;
            for (; end < rest.Length; end++)
            {
                depth += rest[end] switch { '(' => 1, ')' => -1, _ => 0 };
                if (depth == 0)
                {
                    break;
                }
            }

            var parameters = rest[1..end].Trim();
            var count = 0;
            if (parameters.Length > 0)
            {
                count = 1;
                depth = 0;
                foreach (var ch in parameters)
                {
                    depth += ch switch { '(' or '[' or '{' or '<' => 1, ')' or ']' or '}' or '>' => -1, _ => 0 };
                    count += ch == ',' && depth == 0 ? 1 : 0;
                }
            }

            var words = prefix.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var convention = words.FirstOrDefault(w => w.EndsWith("cc", StringComparison.Ordinal) && w != "ccc") ?? "";
            var returnType = words[^1];
            var (cls, name) = Demangle(symbol);
            functions.Add(new IrFunction(symbol, cls, name, convention, count, returnType));
        }

        return functions;
    }

    /// <summary>Just enough of both manglings for the probe's names: methods, deleting destructors, C functions.</summary>
    private static (string? Class, string Name) Demangle(string symbol)
    {
        if (MsvcMethodRegex().Match(symbol) is { Success: true } method)
        {
            return (method.Groups[2].Value, method.Groups[1].Value);
        }

        if (MsvcDeletingDestructorRegex().Match(symbol) is { Success: true } msvcDtor)
        {
            return (msvcDtor.Groups[1].Value, IrFunction.DeletingDestructor);
        }

        if (symbol.StartsWith("_ZN", StringComparison.Ordinal))
        {
            var at = 3;
            var parts = new List<string>();
            while (at < symbol.Length && char.IsAsciiDigit(symbol[at]))
            {
                var digits = at;
                while (char.IsAsciiDigit(symbol[at]))
                {
                    at++;
                }

                var length = int.Parse(symbol[digits..at], CultureInfo.InvariantCulture);
                parts.Add(symbol.Substring(at, length));
                at += length;
            }

            if (parts.Count == 1 && symbol.AsSpan(at).StartsWith("D0E"))
            {
                return (parts[0], IrFunction.DeletingDestructor);
            }

            if (parts.Count == 1 && (symbol.AsSpan(at).StartsWith("D1E") || symbol.AsSpan(at).StartsWith("D2E")))
            {
                return (parts[0], IrFunction.CompleteDestructor);
            }

            if (parts.Count == 2)
            {
                return (parts[0], parts[1]);
            }
        }

        return (null, symbol);
    }

    [GeneratedRegex(@"^\s*(?<off>\d+)?\s\|(?<ind>\s*)(?<text>.*)$")]
    private static partial Regex RecordLineRegex();

    [GeneratedRegex(@"\[sizeof=(\d+)")]
    private static partial Regex SizeRegex();

    [GeneratedRegex(@"^(?:class|struct|union)\s+(.*?)(?:\s+\(empty\))?$")]
    private static partial Regex RecordNameRegex();

    [GeneratedRegex(@"^Vtable for '([^']+)' \(\d+ entries\)\.\s*$")]
    private static partial Regex ItaniumHeadingRegex();

    [GeneratedRegex(@"^VFTable for ((?:'[^']+')(?: in '[^']+')*) \(\d+ entr(?:y|ies)\)\.\s*$")]
    private static partial Regex MsvcHeadingRegex();

    [GeneratedRegex(@"'([^']+)'")]
    private static partial Regex QuotedRegex();

    [GeneratedRegex(@"^\s*-- \(([^,]+), (\d+)\) vtable address --\s*$")]
    private static partial Regex AddressPointRegex();

    [GeneratedRegex(@"^\s*(\d+) \| (.*)$")]
    private static partial Regex EntryRegex();

    [GeneratedRegex(@"^@AbiProbe_(\w+) = .*constant i32 (-?\d+)", RegexOptions.Multiline)]
    private static partial Regex ConstantRegex();

    [GeneratedRegex(@"^\?(\w+)@(\w+)@@")]
    private static partial Regex MsvcMethodRegex();

    [GeneratedRegex(@"^\?\?_G(\w+)@@")]
    private static partial Regex MsvcDeletingDestructorRegex();
}

/// <summary>One record as clang lays it out; offsets are from the start of the record, nested members included.</summary>
internal sealed partial record RecordLayout(string Name, int Size, IReadOnlyList<RecordLine> Lines)
{
    /// <summary>The offset of a member (at any depth) by name; it must be unambiguous.</summary>
    public int OffsetOf(string member)
    {
        var offsets = Lines.Where(l => l.MemberName == member).Select(l => l.Offset).Distinct().ToList();
        return offsets.Count == 1
            ? offsets[0]
            : throw new KeyNotFoundException($"{Name}: member '{member}' found at {offsets.Count} offsets ({string.Join(", ", offsets)})");
    }

    /// <summary>The offset of the vtable pointer a base (or the record itself) introduces.</summary>
    public int VPointerOffset(string cls)
    {
        var line = Lines.FirstOrDefault(l => l.Text is var t && (t == $"({cls} vftable pointer)" || t == $"({cls} vtable pointer)"));
        return line?.Offset ?? throw new KeyNotFoundException($"{Name}: no vtable pointer of {cls}");
    }

    /// <summary>The direct members (depth 1) in order: fields, bases and vtable pointers.</summary>
    public IEnumerable<RecordLine> Direct => Lines.Where(l => l.Depth == 1);
}

internal sealed partial record RecordLine(int Offset, int Depth, string Text)
{
    public string? MemberName => Text.StartsWith('(') || Text.EndsWith(')') ? null : MemberRegex().Match(Text) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex(@"([A-Za-z_]\w*)$")]
    private static partial Regex MemberRegex();
}

/// <summary>The slots of one vtable, from its address point: slot 0 is what the vptr points at.</summary>
internal sealed record VTableSection(string Class, IReadOnlyList<string> Subobjects, IReadOnlyList<VTableSlot> Slots)
{
    public override string ToString() => $"{Class} as {string.Join("/", Subobjects)}: " + string.Join(", ", Slots.Select(s => $"{s.Index}={s.Method}"));
}

internal sealed partial record VTableSlot(int Index, string Method, bool IsDestructor, string Text)
{
    public static VTableSlot Parse(int index, string text)
    {
        var name = MethodRegex().Match(text) is { Success: true } m ? m.Groups[1].Value : text;
        return new VTableSlot(index, name, name.StartsWith('~'), text);
    }

    [GeneratedRegex(@"::(~?\w+)\(")]
    private static partial Regex MethodRegex();
}

/// <summary>A function defined in the probe's IR: calling convention (empty = the target's C default) and parameter count (this included).</summary>
internal sealed record IrFunction(string Symbol, string? Class, string Name, string CallingConvention, int ParameterCount, string ReturnType)
{
    public const string DeletingDestructor = "~deleting";
    public const string CompleteDestructor = "~complete";
}
