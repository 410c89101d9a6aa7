using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OneC.NativeApi.Components;
using OneC.NativeApi.Native;
using WebSocketAddIn.Components.Client;
using WebSocketAddIn.Components.Server;

namespace WebSocketAddIn.Native;

/// <summary>
/// The C functions the 1C platform looks up in the library. cdecl on every target (explicit for
/// Windows x86, where the default would be stdcall and the names decorated). Every one catches
/// every exception: nothing may unwind into the platform.
/// </summary>
public static unsafe class Exports
{
    private static readonly (string ClassName, Func<AddInComponent> Create)[] Classes =
    [
        (ServerComponent.ClassName, static () => new ServerComponent()),
        (ClientComponent.ClassName, static () => new ClientComponent()),
    ];

    // A native library has no Main: the module initializer is the one place that runs before the
    // platform's first call, so the class table is ready for GetClassNames.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RegisterClasses() => AddInLibrary.Register(Classes);

    [UnmanagedCallersOnly(EntryPoint = "GetClassNames", CallConvs = [typeof(CallConvCdecl)])]
    public static char* GetClassNames()
    {
        try
        {
            return AddInLibrary.ClassNames;
        }
        catch (Exception)
        {
            return null;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "GetClassObject", CallConvs = [typeof(CallConvCdecl)])]
    public static CLong GetClassObject(char* className, void** instance)
    {
        try
        {
            return new CLong((nint)AddInLibrary.CreateObject(className, instance));
        }
        catch (Exception)
        {
            return new CLong(0);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "DestroyObject", CallConvs = [typeof(CallConvCdecl)])]
    public static CLong DestroyObject(void** instance)
    {
        try
        {
            return new CLong((nint)AddInLibrary.DestroyObject(instance));
        }
        catch (Exception)
        {
            return new CLong(-1);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "SetPlatformCapabilities", CallConvs = [typeof(CallConvCdecl)])]
    public static int SetPlatformCapabilities(int capabilities)
    {
        try
        {
            return AddInLibrary.SetPlatformCapabilities(capabilities);
        }
        catch (Exception)
        {
            return AddInLibrary.CapabilitiesLast;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "GetAttachType", CallConvs = [typeof(CallConvCdecl)])]
    public static int GetAttachType() => AddInLibrary.AttachAny;
}
