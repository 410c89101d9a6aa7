using System;
using System.Collections.Generic;
using System.Linq;
using OneC.NativeApi.Components;
using OneC.NativeApi.Interop;

namespace OneC.NativeApi.Native;

/// <summary>
/// The library-level half of the Native API behind the exported C functions: which classes the
/// add-in has, creating and destroying their objects, and what the platform told us about itself.
/// The native library project declares the exports and calls these.
/// </summary>
public static unsafe class AddInLibrary
{
    /// <summary>AttachType: the add-in may be attached isolated or not.</summary>
    public const int AttachAny = 3;

    /// <summary>AppCapabilities we are written for (eAppCapabilities3).</summary>
    public const int CapabilitiesLast = 3;

    private static IReadOnlyDictionary<string, Func<AddInComponent>> s_factories = new Dictionary<string, Func<AddInComponent>>();
    private static char* s_classNames;

    /// <summary>What SetPlatformCapabilities said; 0 where the host never called it.</summary>
    public static int PlatformCapabilities { get; private set; }

    /// <summary>Declares the classes; called once from the native library's module initializer.</summary>
    public static void Register(IReadOnlyList<(string ClassName, Func<AddInComponent> Create)> classes)
    {
        s_factories = classes.ToDictionary(c => c.ClassName, c => c.Create, StringComparer.OrdinalIgnoreCase);
        s_classNames = NativeText.AllocatePermanent(string.Join('|', classes.Select(c => c.ClassName)));
    }

    public static char* ClassNames => s_classNames;

    /// <summary>GetClassObject: non-zero when the object was created.</summary>
    public static long CreateObject(char* className, void** result)
    {
        if (result == null)
        {
            return 0;
        }

        *result = null;
        var name = NativeText.ToManaged(className);
        if (!s_factories.TryGetValue(name, out var create))
        {
            return 0;
        }

        *result = ComponentObject.Create(create());
        return 1;
    }

    /// <summary>DestroyObject: 0 when done; the caller's pointer is cleared.</summary>
    public static long DestroyObject(void** instance)
    {
        if (instance == null || *instance == null)
        {
            return -1;
        }

        var self = *instance;
        *instance = null;
        ComponentObject.Destroy(self);
        return 0;
    }

    public static int SetPlatformCapabilities(int capabilities)
    {
        PlatformCapabilities = capabilities;
        return CapabilitiesLast;
    }
}
