namespace OneC.NativeApi.Abi;

/// <summary>The binary conventions of one platform the add-in is built for.</summary>
public enum AbiTarget
{
    /// <summary>Linux (and macOS) x86-64: Itanium C++ ABI, SysV calls, 8-byte C long.</summary>
    ItaniumX64,

    /// <summary>Windows x64: MSVC C++ ABI, 4-byte C long.</summary>
    MsvcX64,

    /// <summary>Windows x86: MSVC C++ ABI, __stdcall interface methods, cdecl exports.</summary>
    MsvcX86,
}
