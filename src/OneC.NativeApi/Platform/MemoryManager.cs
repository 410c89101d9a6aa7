using System;
using System.Runtime.InteropServices;
using OneC.NativeApi.Abi;

namespace OneC.NativeApi.Platform;

/// <summary>The platform's memory manager refused an allocation (AllocMemory returned false).</summary>
public sealed class PlatformMemoryException(int bytes) : Exception($"The platform could not allocate {bytes} bytes.")
{
    public int Bytes { get; } = bytes;
}

/// <summary>
/// The platform's IMemoryManager. Every string and binary value handed to 1C must come from here:
/// the platform frees it with its own allocator.
/// </summary>
public sealed unsafe class MemoryManager
{
    private readonly void* _manager;
    private readonly delegate* unmanaged[Stdcall]<void*, void**, CULong, byte> _alloc;
    private readonly delegate* unmanaged[Stdcall]<void*, void**, void> _free;

    public MemoryManager(void* manager)
    {
        _manager = manager;
        var vtable = *(void***)manager;
        var layout = AbiLayout.Current;
        _alloc = (delegate* unmanaged[Stdcall]<void*, void**, CULong, byte>)vtable[layout.Slot((int)MemoryManagerMethod.AllocMemory)];
        _free = (delegate* unmanaged[Stdcall]<void*, void**, void>)vtable[layout.Slot((int)MemoryManagerMethod.FreeMemory)];
    }

    /// <summary>Allocates <paramref name="bytes"/> (at least one) or throws: a failed allocation must not look like an empty value.</summary>
    public void* Allocate(int bytes)
    {
        void* memory = null;
        if (_alloc(_manager, &memory, new CULong((nuint)Math.Max(bytes, 1))) == 0 || memory == null)
        {
            throw new PlatformMemoryException(bytes);
        }

        return memory;
    }

    public void Free(void* memory)
    {
        if (memory != null)
        {
            _free(_manager, &memory);
        }
    }

    /// <summary>A zero-terminated UTF-16 copy of <paramref name="text"/> in the platform's memory.</summary>
    public char* AllocateString(ReadOnlySpan<char> text)
    {
        var buffer = (char*)Allocate((text.Length + 1) * sizeof(char));
        text.CopyTo(new Span<char>(buffer, text.Length));
        buffer[text.Length] = '\0';
        return buffer;
    }
}
