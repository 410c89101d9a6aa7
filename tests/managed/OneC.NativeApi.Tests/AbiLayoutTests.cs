using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OneC.NativeApi.Abi;
using OneC.NativeApi.Interop;
using OneC.NativeApi.Native;
using OneC.NativeApi.Platform;
using WebSocketAddIn.Native;
using Xunit;

namespace OneC.NativeApi.Tests;

/// <summary>
/// Every size, offset, vtable slot and calling convention the C# side assumes (AbiLayout, the
/// method-order enums, ComponentVTables, Exports, VariantType) against what clang lays out from
/// the SDK declarations for Linux x64 (Itanium) and Windows x64/x86 (MSVC). No Windows needed.
/// </summary>
public sealed class AbiLayoutTests
{
    // The concrete classes of tests/abi-layout/layout_probe.cpp.
    private const string Component = "ProbeComponent";
    private const string Platform = "ProbePlatform";
    private const string Memory = "ProbeMemory";

    private static readonly string[] ComponentBases = ["IInitDoneBase", "ILanguageExtenderBase", "LocaleBase", "UserLanguageBase"];

    public static TheoryData<AbiTarget> Targets => new(Enum.GetValues<AbiTarget>());

    [Theory]
    [MemberData(nameof(Targets))]
    public void ScalarSizesMatch(AbiTarget target)
    {
        var dump = ClangAbiDump.For(target);
        var layout = AbiLayout.For(target);
        Assert.Equal(layout.PointerSize, dump.Record("AbiProbe_Pointer").Size);
        Assert.Equal(layout.CLongSize, dump.Record("AbiProbe_Long").Size);
        Assert.Equal(2, dump.Record("AbiProbe_WChar").Size); // WCHAR_T is UTF-16 everywhere: C# char.
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void VariantLayoutMatches(AbiTarget target)
    {
        var layout = AbiLayout.For(target);
        var variant = ClangAbiDump.For(target).Record("_tVariant");

        Assert.Equal(layout.VariantSize, variant.Size);
        // Variant reads every value, pointer and struct tm at the start: the union must be there.
        var union = Assert.Single(variant.Direct, l => l.Text.StartsWith("union ", StringComparison.Ordinal));
        Assert.Equal(0, union.Offset);
        Assert.Equal(0, variant.OffsetOf("pwstrVal"));
        Assert.Equal(0, variant.OffsetOf("pstrVal"));
        Assert.Equal(0, variant.OffsetOf("tmVal"));
        Assert.Equal(layout.VariantCbElementsOffset, variant.OffsetOf("cbElements"));
        Assert.Equal(layout.VariantTypeOffset, variant.OffsetOf("vt"));
        Assert.Equal(layout.VariantLengthOffset, variant.OffsetOf("wstrLen"));
        Assert.Equal(layout.VariantLengthOffset, variant.OffsetOf("strLen"));
        Assert.Equal(layout.PointerSize, layout.VariantLengthOffset);
        // An array of tVariant (CallAsProc's parameters) is indexed by VariantSize: clang's sizeof includes the tail padding.
        Assert.Equal(0, layout.VariantSize % 8);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void ComponentObjectIsFourVTablePointers(AbiTarget target)
    {
        var layout = AbiLayout.For(target);
        var dump = ClangAbiDump.For(target);
        var componentBase = dump.Record("IComponentBase");

        Assert.Equal(AbiLayout.ComponentBaseCount, ComponentBases.Length);
        Assert.Equal(AbiLayout.ComponentBaseCount * layout.PointerSize, componentBase.Size);
        for (var k = 0; k < ComponentBases.Length; k++)
        {
            // ComponentObject.From(self, k) recovers the object from `this - k * sizeof(void*)`.
            Assert.Equal(k * layout.PointerSize, componentBase.VPointerOffset(ComponentBases[k]));
            Assert.Equal(k * layout.PointerSize, dump.Record(Component).VPointerOffset(ComponentBases[k]));
        }
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void ComponentVTablesMatch(AbiTarget target)
    {
        var dump = ClangAbiDump.For(target);
        var layout = AbiLayout.For(target);
        AssertVTable(dump, layout, "IInitDoneBase", Enum.GetNames<InitDoneMethod>(), [Component, "IComponentBase"]);
        AssertVTable(dump, layout, "ILanguageExtenderBase", Enum.GetNames<LanguageExtenderMethod>(), [Component, "IComponentBase"]);
        AssertVTable(dump, layout, "LocaleBase", Enum.GetNames<LocaleMethod>(), [Component, "IComponentBase"]);
        AssertVTable(dump, layout, "UserLanguageBase", Enum.GetNames<UserLanguageMethod>(), [Component, "IComponentBase"]);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void PlatformVTablesMatch(AbiTarget target)
    {
        var dump = ClangAbiDump.For(target);
        var layout = AbiLayout.For(target);
        // IAddInDefBaseEx appends GetInterface to IAddInDefBase's table: one vptr, one table.
        var addInDef = Enum.GetNames<AddInDefMethod>();
        Assert.Equal(nameof(AddInDefMethod.GetInterface), addInDef[^1]);
        AssertVTable(dump, layout, "IAddInDefBase", addInDef[..^1], [Platform, "IAddInDefBaseEx"]);
        AssertVTable(dump, layout, "IAddInDefBaseEx", addInDef, [Platform], subobject: "IAddInDefBase");
        Assert.Equal(layout.PointerSize, dump.Record("IAddInDefBaseEx").Size);
        AssertVTable(dump, layout, "IMemoryManager", Enum.GetNames<MemoryManagerMethod>(), [Memory]);

        // GetInterface's objects have no destructor: PlatformConnection calls GetPlatformInfo through slot 0.
        foreach (var (iface, method) in new[] { ("IPlatformInfo", "GetPlatformInfo"), ("IAttachedInfo", "GetAttachedInfo") })
        {
            Assert.Equal([method], dump.VTable(iface, iface).Slots.Select(s => s.Method));
            Assert.Equal([method], dump.VTable("Probe" + iface[1..], iface).Slots.Select(s => s.Method));
        }

        // AppInfo.Application is read at 2 * sizeof(void*).
        Assert.Equal(2 * layout.PointerSize, dump.Record("IPlatformInfo::AppInfo").OffsetOf("Application"));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void InterfaceMethodsUseTheConventionTheVTablesAssume(AbiTarget target)
    {
        var dump = ClangAbiDump.For(target);
        // x86: the SDK's methods are __stdcall (callee pops); x64 and Linux have one convention,
        // and clang marks none. The C# side declares them all [Stdcall], which .NET ignores off x86.
        var expected = target == AbiTarget.MsvcX86 ? "x86_stdcallcc" : "";
        var methods = dump.Functions.Where(f => f.Class is not null && f.Class.StartsWith("Probe", StringComparison.Ordinal) && !f.Name.StartsWith('~')).ToList();
        Assert.Equal(22 + 11 + 2 + 1 + 1, methods.Count); // component, platform, memory, IPlatformInfo, IAttachedInfo
        Assert.All(methods, f => Assert.True(f.CallingConvention == expected, $"{f.Class}::{f.Name} is '{f.CallingConvention}', expected '{expected}' on {dump.Triple}"));

        foreach (var method in typeof(ComponentVTables).GetMethods(BindingFlags.NonPublic | BindingFlags.Static)
                     .Where(m => m.GetCustomAttribute<UnmanagedCallersOnlyAttribute>() is not null))
        {
            Assert.True(CallConvs(method).SequenceEqual([typeof(CallConvStdcall)]), $"ComponentVTables.{method.Name} is not [UnmanagedCallersOnly(CallConvs = [Stdcall])]");
        }

        // Parameter counts (this included): on x86 __stdcall the callee pops 4 bytes per parameter, so a
        // missing or extra one corrupts the caller's stack.
        foreach (var (iface, names) in new (string, string[])[]
                 {
                     ("IInitDoneBase", Enum.GetNames<InitDoneMethod>()),
                     ("ILanguageExtenderBase", Enum.GetNames<LanguageExtenderMethod>()),
                     ("LocaleBase", Enum.GetNames<LocaleMethod>()),
                     ("UserLanguageBase", Enum.GetNames<UserLanguageMethod>()),
                 })
        {
            foreach (var name in names)
            {
                var cpp = dump.Functions.Single(f => f.Class == Component && f.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
                var cs = typeof(ComponentVTables).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static)
                         ?? throw new MissingMethodException($"ComponentVTables has no {name} for {iface}");
                Assert.True(cpp.ParameterCount == cs.GetParameters().Length,
                    $"{iface}::{cpp.Name}: clang ({dump.Triple}) has {cpp.ParameterCount} parameters with this, ComponentVTables.{cs.Name} {cs.GetParameters().Length}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void DestructorSlotsMatchTheirStandIns(AbiTarget target)
    {
        var dump = ClangAbiDump.For(target);
        var deleting = dump.Function(Component, IrFunction.DeletingDestructor);
        MethodInfo standIn;
        int stackParameters;
        switch (target)
        {
            case AbiTarget.ItaniumX64:
                // D0 (deleting) and D1 (complete): void(this).
                standIn = VTableMethod("ItaniumDestructor");
                Assert.Equal("", deleting.CallingConvention);
                stackParameters = deleting.ParameterCount;
                break;
            case AbiTarget.MsvcX64:
                // The scalar deleting destructor: void*(this, unsigned flags).
                standIn = VTableMethod("MsvcDestructor");
                Assert.Equal("", deleting.CallingConvention);
                stackParameters = deleting.ParameterCount;
                break;
            default:
                // x86: __thiscall, `this` in ECX, the flags on the stack, popped by the callee — the same
                // stack effect as a one-argument __stdcall function.
                standIn = VTableMethod("MsvcX86Destructor");
                Assert.Equal("x86_thiscallcc", deleting.CallingConvention);
                stackParameters = deleting.ParameterCount - 1;
                break;
        }

        Assert.Equal(stackParameters, standIn.GetParameters().Length);
        Assert.Equal(deleting.ReturnType == "void", standIn.ReturnType == typeof(void));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void ExportsAreCdeclWithTheSdkSignatures(AbiTarget target)
    {
        var dump = ClangAbiDump.For(target);
        var layout = AbiLayout.For(target);
        var exports = typeof(Exports).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<UnmanagedCallersOnlyAttribute>()))
            .Where(e => e.Attribute is not null)
            .ToDictionary(e => e.Attribute!.EntryPoint ?? e.Method.Name, e => e.Method);
        Assert.Equal(PackageValidator.RequiredExports.Order(), exports.Keys.Order());

        foreach (var (name, method) in exports)
        {
            // The SDK declares the exports without a convention: cdecl on x86 (callers pop), the only one elsewhere.
            var cpp = dump.Function(null, name);
            Assert.Equal("", cpp.CallingConvention);
            Assert.True(CallConvs(method).SequenceEqual([typeof(CallConvCdecl)]), $"Exports.{method.Name} is not [UnmanagedCallersOnly(CallConvs = [Cdecl])]");
            Assert.Equal(cpp.ParameterCount, method.GetParameters().Length);
        }

        // `long` results are C longs: i32 on Windows, i64 on Linux; CLong follows the platform the same way.
        Assert.Equal($"i{layout.CLongSize * 8}", dump.Function(null, "GetClassObject").ReturnType);
        Assert.Equal(typeof(CLong), exports["GetClassObject"].ReturnType);
        Assert.Equal(typeof(CLong), exports["DestroyObject"].ReturnType);
        Assert.Equal("i32", dump.Function(null, "SetPlatformCapabilities").ReturnType);
        Assert.Equal(typeof(int), exports["SetPlatformCapabilities"].ReturnType);
        Assert.Equal(typeof(int), exports["GetAttachType"].ReturnType);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void EnumValuesMatch(AbiTarget target)
    {
        var constants = ClangAbiDump.For(target).Constants;

        var variantTypes = constants.Where(c => c.Key.StartsWith("VTYPE_", StringComparison.Ordinal))
            .ToDictionary(c => c.Key["VTYPE_".Length..], c => c.Value, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(Enum.GetValues<VariantType>().Length, variantTypes.Count);
        foreach (var type in Enum.GetValues<VariantType>())
        {
            Assert.True(variantTypes.TryGetValue(type.ToString(), out var value), $"no VTYPE_{type.ToString().ToUpperInvariant()} in the header");
            Assert.True(value == (ushort)type, $"VariantType.{type} = {(ushort)type}, VTYPE_ = {value}");
        }

        var kinds = new Dictionary<string, ApplicationKind>
        {
            ["eAppUnknown"] = ApplicationKind.Unknown,
            ["eAppThinClient"] = ApplicationKind.ThinClient,
            ["eAppThickClient"] = ApplicationKind.ThickClient,
            ["eAppWebClient"] = ApplicationKind.WebClient,
            ["eAppServer"] = ApplicationKind.Server,
            ["eAppExtConn"] = ApplicationKind.ExternalConnection,
            ["eAppMobileClient"] = ApplicationKind.MobileClient,
            ["eAppMobileServer"] = ApplicationKind.MobileServer,
        };
        Assert.Equal(Enum.GetValues<ApplicationKind>().Length, kinds.Count);
        foreach (var (name, kind) in kinds)
        {
            Assert.Equal(constants[$"AppType_{name}"], (long)kind);
        }

        var platformInfoInterface = typeof(PlatformConnection).GetField("PlatformInfoInterface", BindingFlags.NonPublic | BindingFlags.Static)!;
        Assert.Equal(constants["Interfaces_eIPlatformInfo"], Convert.ToInt64(platformInfoInterface.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(AddInLibrary.CapabilitiesLast, constants["AppCapabilities_eAppCapabilitiesLast"]);
        Assert.Equal(AddInLibrary.AttachAny, constants["AttachType_eCanAttachAny"]);
    }

    [Fact]
    public void CurrentLayoutIsTheOneForThisProcess()
    {
        var expected = OperatingSystem.IsWindows()
            ? (IntPtr.Size == 8 ? AbiTarget.MsvcX64 : AbiTarget.MsvcX86)
            : AbiTarget.ItaniumX64;
        Assert.Equal(expected, AbiLayout.Current.Target);
        Assert.Equal(IntPtr.Size, AbiLayout.Current.PointerSize);
        Assert.Equal(Marshal.SizeOf<CLong>(), AbiLayout.Current.CLongSize);
    }

    /// <summary>
    /// The interface's own vtable: the destructor slot(s) first, as many as AbiLayout says, then exactly
    /// <paramref name="methods"/> (the C# enum's names), each at AbiLayout.Slot(its index). The tables of the
    /// classes that implement it (<paramref name="implementations"/>) must start the same way: those are the
    /// tables the platform and the add-in really call through (derived classes may append slots).
    /// </summary>
    private static void AssertVTable(ClangAbiDump dump, AbiLayout layout, string iface, string[] methods, string[] implementations, string? subobject = null)
    {
        var csharp = new string[layout.DestructorSlots + methods.Length];
        Array.Fill(csharp, "(nothing)");
        for (var slot = 0; slot < layout.DestructorSlots; slot++)
        {
            csharp[slot] = "~";
        }

        for (var index = 0; index < methods.Length; index++)
        {
            // Names compare case-insensitively: the SDK spells one `setMemManager`.
            csharp[layout.Slot(index)] = methods[index];
        }

        subobject ??= iface;
        var own = Names(dump.VTable(iface, subobject));
        Assert.True(own.SequenceEqual(csharp, StringComparer.OrdinalIgnoreCase), Mismatch($"{iface}'s vtable", own));
        foreach (var implementation in implementations)
        {
            var table = Names(dump.VTable(implementation, subobject));
            Assert.True(table.Take(csharp.Length).SequenceEqual(csharp, StringComparer.OrdinalIgnoreCase), Mismatch($"{implementation}'s vtable for {subobject}", table));
        }

        string Mismatch(string what, List<string> clang) =>
            $"{what} on {dump.Triple}:\n  clang: {string.Join(", ", clang.Select((m, i) => $"{i}={m}"))}\n  C#:    {string.Join(", ", csharp.Select((m, i) => $"{i}={m}"))}";
    }

    private static List<string> Names(VTableSection section) => section.Slots.Select(s => s.IsDestructor ? "~" : s.Method).ToList();

    private static MethodInfo VTableMethod(string name) =>
        typeof(ComponentVTables).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static)
        ?? throw new MissingMethodException(nameof(ComponentVTables), name);

    private static Type[] CallConvs(MethodInfo method) => method.GetCustomAttribute<UnmanagedCallersOnlyAttribute>()?.CallConvs ?? [];
}
