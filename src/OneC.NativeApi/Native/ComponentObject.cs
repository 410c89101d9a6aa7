using System;
using System.Runtime.InteropServices;
using OneC.NativeApi.Abi;
using OneC.NativeApi.Components;

namespace OneC.NativeApi.Native;

/// <summary>
/// The C++ object the platform holds: four consecutive vtable pointers (one per base class of
/// IComponentBase), followed by a GC handle to the managed component. The platform calls base k
/// through <c>object + k * sizeof(void*)</c>, so every entry point recovers the object from its
/// <c>this</c> and the index of the base it belongs to.
/// </summary>
internal static unsafe class ComponentObject
{
    private static readonly int HandleOffset = AbiLayout.ComponentBaseCount * IntPtr.Size;

    public static void* Create(AddInComponent component)
    {
        var vtables = ComponentVTables.Instance;
        var memory = (byte*)NativeMemory.AllocZeroed((nuint)(HandleOffset + IntPtr.Size));
        for (var baseIndex = 0; baseIndex < AbiLayout.ComponentBaseCount; baseIndex++)
        {
            ((void**)memory)[baseIndex] = vtables[baseIndex];
        }

        *(IntPtr*)(memory + HandleOffset) = GCHandle.ToIntPtr(GCHandle.Alloc(component));
        return memory;
    }

    /// <summary>The component behind <paramref name="self"/>, a pointer to base <paramref name="baseIndex"/>; null once destroyed.</summary>
    public static AddInComponent? From(void* self, int baseIndex)
    {
        if (self == null)
        {
            return null;
        }

        var memory = (byte*)self - (baseIndex * IntPtr.Size);
        var handle = *(IntPtr*)(memory + HandleOffset);
        return handle == IntPtr.Zero ? null : GCHandle.FromIntPtr(handle).Target as AddInComponent;
    }

    /// <summary>Stops the component and frees the object. The platform's pointer is dead afterwards.</summary>
    public static void Destroy(void* self)
    {
        var memory = (byte*)self;
        var handleSlot = (IntPtr*)(memory + HandleOffset);
        var handle = *handleSlot;
        *handleSlot = IntPtr.Zero;
        if (handle != IntPtr.Zero)
        {
            var gcHandle = GCHandle.FromIntPtr(handle);
            try
            {
                (gcHandle.Target as AddInComponent)?.Dispose();
            }
            finally
            {
                gcHandle.Free();
            }
        }

        NativeMemory.Free(memory);
    }
}
