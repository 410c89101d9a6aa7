using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OneC.NativeApi.Abi;
using OneC.NativeApi.Components;
using OneC.NativeApi.Interop;
using OneC.NativeApi.Platform;

namespace OneC.NativeApi.Native;

/// <summary>
/// The four vtables of the component object and the functions in them. Interface methods are
/// __stdcall on Windows x86 (the convention is ignored on x64 and Linux). Every function catches
/// every exception: one escaping an UnmanagedCallersOnly method would end the 1C process.
/// </summary>
internal static unsafe class ComponentVTables
{
    private const int InitDoneBase = 0;
    private const int LanguageExtenderBase = 1;
    private const int LocaleBase = 2;
    private const int UserLanguageBase = 3;
    private const int InterfaceVersion = 2000;

    /// <summary>One vtable per base, built once per process and never freed (the library is never unloaded).</summary>
    public static void*[] Instance { get; } = Build();

    private static void*[] Build()
    {
        var layout = AbiLayout.Current;
        var initDone = NewTable(layout, Enum.GetValues<InitDoneMethod>().Length);
        initDone[layout.Slot((int)InitDoneMethod.Init)] = (delegate* unmanaged[Stdcall]<void*, void*, byte>)&Init;
        initDone[layout.Slot((int)InitDoneMethod.SetMemManager)] = (delegate* unmanaged[Stdcall]<void*, void*, byte>)&SetMemManager;
        initDone[layout.Slot((int)InitDoneMethod.GetInfo)] = (delegate* unmanaged[Stdcall]<void*, CLong>)&GetInfo;
        initDone[layout.Slot((int)InitDoneMethod.Done)] = (delegate* unmanaged[Stdcall]<void*, void>)&Done;

        var extender = NewTable(layout, Enum.GetValues<LanguageExtenderMethod>().Length);
        extender[layout.Slot((int)LanguageExtenderMethod.RegisterExtensionAs)] = (delegate* unmanaged[Stdcall]<void*, char**, byte>)&RegisterExtensionAs;
        extender[layout.Slot((int)LanguageExtenderMethod.GetNProps)] = (delegate* unmanaged[Stdcall]<void*, CLong>)&GetNProps;
        extender[layout.Slot((int)LanguageExtenderMethod.FindProp)] = (delegate* unmanaged[Stdcall]<void*, char*, CLong>)&FindProp;
        extender[layout.Slot((int)LanguageExtenderMethod.GetPropName)] = (delegate* unmanaged[Stdcall]<void*, CLong, CLong, char*>)&GetPropName;
        extender[layout.Slot((int)LanguageExtenderMethod.GetPropVal)] = (delegate* unmanaged[Stdcall]<void*, CLong, void*, byte>)&GetPropVal;
        extender[layout.Slot((int)LanguageExtenderMethod.SetPropVal)] = (delegate* unmanaged[Stdcall]<void*, CLong, void*, byte>)&SetPropVal;
        extender[layout.Slot((int)LanguageExtenderMethod.IsPropReadable)] = (delegate* unmanaged[Stdcall]<void*, CLong, byte>)&IsPropReadable;
        extender[layout.Slot((int)LanguageExtenderMethod.IsPropWritable)] = (delegate* unmanaged[Stdcall]<void*, CLong, byte>)&IsPropWritable;
        extender[layout.Slot((int)LanguageExtenderMethod.GetNMethods)] = (delegate* unmanaged[Stdcall]<void*, CLong>)&GetNMethods;
        extender[layout.Slot((int)LanguageExtenderMethod.FindMethod)] = (delegate* unmanaged[Stdcall]<void*, char*, CLong>)&FindMethod;
        extender[layout.Slot((int)LanguageExtenderMethod.GetMethodName)] = (delegate* unmanaged[Stdcall]<void*, CLong, CLong, char*>)&GetMethodName;
        extender[layout.Slot((int)LanguageExtenderMethod.GetNParams)] = (delegate* unmanaged[Stdcall]<void*, CLong, CLong>)&GetNParams;
        extender[layout.Slot((int)LanguageExtenderMethod.GetParamDefValue)] = (delegate* unmanaged[Stdcall]<void*, CLong, CLong, void*, byte>)&GetParamDefValue;
        extender[layout.Slot((int)LanguageExtenderMethod.HasRetVal)] = (delegate* unmanaged[Stdcall]<void*, CLong, byte>)&HasRetVal;
        extender[layout.Slot((int)LanguageExtenderMethod.CallAsProc)] = (delegate* unmanaged[Stdcall]<void*, CLong, void*, CLong, byte>)&CallAsProc;
        extender[layout.Slot((int)LanguageExtenderMethod.CallAsFunc)] = (delegate* unmanaged[Stdcall]<void*, CLong, void*, void*, CLong, byte>)&CallAsFunc;

        var locale = NewTable(layout, 1);
        locale[layout.Slot((int)LocaleMethod.SetLocale)] = (delegate* unmanaged[Stdcall]<void*, char*, void>)&SetLocale;

        var userLanguage = NewTable(layout, 1);
        userLanguage[layout.Slot((int)UserLanguageMethod.SetUserInterfaceLanguageCode)] = (delegate* unmanaged[Stdcall]<void*, char*, void>)&SetUserInterfaceLanguageCode;

        return [initDone, extender, locale, userLanguage];
    }

    /// <summary>A vtable with its destructor slots filled: the platform never calls them, but a host that deletes the object must not jump to null.</summary>
    private static void** NewTable(AbiLayout layout, int methodCount)
    {
        var table = (void**)NativeMemory.AllocZeroed((nuint)(layout.DestructorSlots + methodCount), (nuint)IntPtr.Size);
        for (var slot = 0; slot < layout.DestructorSlots; slot++)
        {
            table[slot] = layout.Target switch
            {
                // Itanium: complete and deleting destructors, both void(this).
                AbiTarget.ItaniumX64 => (delegate* unmanaged[Stdcall]<void*, void>)&ItaniumDestructor,
                // MSVC x64: the scalar deleting destructor, void*(this, flags).
                AbiTarget.MsvcX64 => (delegate* unmanaged[Stdcall]<void*, uint, void*>)&MsvcDestructor,
                // MSVC x86: __thiscall, `this` in ECX and the flags on the stack, popped by the callee:
                // a __stdcall function of one argument pops the same 4 bytes.
                _ => (delegate* unmanaged[Stdcall]<uint, void*>)&MsvcX86Destructor,
            };
        }

        return table;
    }

    // Destroying the object is DestroyObject's job; a C++ `delete` from a host must stay harmless.
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static void ItaniumDestructor(void* self)
    {
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static void* MsvcDestructor(void* self, uint flags) => self;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static void* MsvcX86Destructor(uint flags) => null;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static byte Init(void* self, void* platform)
    {
        try
        {
            if (ComponentObject.From(self, InitDoneBase) is not { } component || platform == null)
            {
                return 0;
            }

            component.AttachPlatform(new PlatformConnection(platform, AddInLibrary.PlatformCapabilities >= 1));
            return 1;
        }
        catch (Exception)
        {
            return 0;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static byte SetMemManager(void* self, void* memory)
    {
        try
        {
            if (ComponentObject.From(self, InitDoneBase) is not { } component || memory == null)
            {
                return 0;
            }

            component.AttachMemory(new MemoryManager(memory));
            return 1;
        }
        catch (Exception)
        {
            return 0;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static CLong GetInfo(void* self) => new(InterfaceVersion);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static void Done(void* self)
    {
        try
        {
            ComponentObject.From(self, InitDoneBase)?.Done();
        }
        catch (Exception)
        {
            // Done has no way to report; the object is being torn down anyway.
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static byte RegisterExtensionAs(void* self, char** name)
    {
        try
        {
            if (ComponentObject.From(self, LanguageExtenderBase) is not { Memory: { } memory } component || name == null)
            {
                return 0;
            }

            *name = memory.AllocateString(component.Table.ClassName);
            return 1;
        }
        catch (Exception)
        {
            return 0;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static CLong GetNProps(void* self)
    {
        try
        {
            return new(ComponentObject.From(self, LanguageExtenderBase)?.Table.Properties.Count ?? 0);
        }
        catch (Exception)
        {
            return new(0);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static CLong FindProp(void* self, char* name)
    {
        try
        {
            return new(ComponentObject.From(self, LanguageExtenderBase)?.Table.FindProperty(NativeText.View(name)) ?? -1);
        }
        catch (Exception)
        {
            return new(-1);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static char* GetPropName(void* self, CLong index, CLong alias)
    {
        try
        {
            if (ComponentObject.From(self, LanguageExtenderBase) is not { Memory: { } memory } component
                || (ulong)index.Value >= (ulong)component.Table.Properties.Count)
            {
                return null;
            }

            var property = component.Table.Properties[(int)index.Value];
            return memory.AllocateString(ComponentTable.NameByAlias(property.EnglishName, property.RussianName, Alias(alias)));
        }
        catch (Exception)
        {
            return null;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static byte GetPropVal(void* self, CLong index, void* value)
    {
        try
        {
            return ToByte(value != null && (ComponentObject.From(self, LanguageExtenderBase)?.GetProperty(Index(index), value) ?? false));
        }
        catch (Exception)
        {
            return 0;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static byte SetPropVal(void* self, CLong index, void* value)
    {
        try
        {
            return ToByte(value != null && (ComponentObject.From(self, LanguageExtenderBase)?.SetProperty(Index(index), value) ?? false));
        }
        catch (Exception)
        {
            return 0;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static byte IsPropReadable(void* self, CLong index)
    {
        try
        {
            var component = ComponentObject.From(self, LanguageExtenderBase);
            return ToByte(component is not null && (ulong)index.Value < (ulong)component.Table.Properties.Count);
        }
        catch (Exception)
        {
            return 0;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static byte IsPropWritable(void* self, CLong index)
    {
        try
        {
            var component = ComponentObject.From(self, LanguageExtenderBase);
            return ToByte(component is not null && (ulong)index.Value < (ulong)component.Table.Properties.Count
                && component.Table.Properties[(int)index.Value].Setter is not null);
        }
        catch (Exception)
        {
            return 0;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static CLong GetNMethods(void* self)
    {
        try
        {
            return new(ComponentObject.From(self, LanguageExtenderBase)?.Table.Methods.Count ?? 0);
        }
        catch (Exception)
        {
            return new(0);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static CLong FindMethod(void* self, char* name)
    {
        try
        {
            return new(ComponentObject.From(self, LanguageExtenderBase)?.Table.FindMethod(NativeText.View(name)) ?? -1);
        }
        catch (Exception)
        {
            return new(-1);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static char* GetMethodName(void* self, CLong index, CLong alias)
    {
        try
        {
            if (ComponentObject.From(self, LanguageExtenderBase) is not { Memory: { } memory } component
                || (ulong)index.Value >= (ulong)component.Table.Methods.Count)
            {
                return null;
            }

            var method = component.Table.Methods[(int)index.Value];
            return memory.AllocateString(ComponentTable.NameByAlias(method.EnglishName, method.RussianName, Alias(alias)));
        }
        catch (Exception)
        {
            return null;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static CLong GetNParams(void* self, CLong index)
    {
        try
        {
            var component = ComponentObject.From(self, LanguageExtenderBase);
            return component is not null && (ulong)index.Value < (ulong)component.Table.Methods.Count
                ? new(component.Table.Methods[(int)index.Value].Parameters.Count)
                : new(0);
        }
        catch (Exception)
        {
            return new(0);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static byte GetParamDefValue(void* self, CLong method, CLong parameter, void* value)
    {
        try
        {
            return ToByte(value != null && (ComponentObject.From(self, LanguageExtenderBase)?.GetParameterDefault(Index(method), Index(parameter), value) ?? false));
        }
        catch (Exception)
        {
            return 0;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static byte HasRetVal(void* self, CLong index)
    {
        try
        {
            var component = ComponentObject.From(self, LanguageExtenderBase);
            return ToByte(component is not null && (ulong)index.Value < (ulong)component.Table.Methods.Count
                && component.Table.Methods[(int)index.Value].ReturnsValue);
        }
        catch (Exception)
        {
            return 0;
        }
    }

    // A function called as a statement arrives here: it runs all the same (by-reference results
    // included) and its value is dropped.
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static byte CallAsProc(void* self, CLong method, void* arguments, CLong count)
    {
        try
        {
            return ToByte(ComponentObject.From(self, LanguageExtenderBase)?.CallMethod(Index(method), arguments, ArgumentCount(arguments, count), null) ?? false);
        }
        catch (Exception)
        {
            return 0;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static byte CallAsFunc(void* self, CLong method, void* result, void* arguments, CLong count)
    {
        try
        {
            return ToByte(ComponentObject.From(self, LanguageExtenderBase)?.CallMethod(Index(method), arguments, ArgumentCount(arguments, count), result) ?? false);
        }
        catch (Exception)
        {
            return 0;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static void SetLocale(void* self, char* locale)
    {
        try
        {
            ComponentObject.From(self, LocaleBase)?.SetLocale(NativeText.View(locale));
        }
        catch (Exception)
        {
            // A locale we cannot read leaves the language as it was.
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static void SetUserInterfaceLanguageCode(void* self, char* code)
    {
        try
        {
            ComponentObject.From(self, UserLanguageBase)?.SetInterfaceLanguage(NativeText.View(code));
        }
        catch (Exception)
        {
            // As for SetLocale.
        }
    }

    /// <summary>
    /// A method, property or parameter number as the platform passes it (a C long: 64 bits on Linux):
    /// one outside the int range is -1, which no table has, never the number cut to 32 bits
    /// (CallAsProc(4294967296) ran method 0).
    /// </summary>
    private static int Index(CLong number) => number.Value is >= 0 and <= int.MaxValue ? (int)number.Value : -1;

    /// <summary>Alias 1 is the Russian name; anything else the English one, without cutting 64 bits to 32.</summary>
    private static int Alias(CLong alias) => alias.Value == 1 ? 1 : 0;

    /// <summary>A null array or a negative count is no arguments at all.</summary>
    private static int ArgumentCount(void* arguments, CLong count) =>
        arguments == null || count.Value <= 0 ? 0 : (int)Math.Min(count.Value, int.MaxValue);

    private static byte ToByte(bool value) => value ? (byte)1 : (byte)0;
}
