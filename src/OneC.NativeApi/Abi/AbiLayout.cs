using System;

namespace OneC.NativeApi.Abi;

/// <summary>
/// Sizes, offsets and vtable shapes that differ between the platforms 1C runs on. The running code
/// reads only <see cref="Current"/>; the other targets are kept here so a test can compare each of
/// them with what a real C++ compiler (clang for MSVC targets, g++ for Itanium) lays out.
/// </summary>
public sealed record AbiLayout(
    AbiTarget Target,
    int PointerSize,
    int CLongSize,
    int DestructorSlots,
    int VariantSize,
    int VariantCbElementsOffset,
    int VariantTypeOffset,
    int VariantLengthOffset)
{
    /// <summary>glibc's struct tm (56 bytes) sizes the tVariant union on Linux.</summary>
    public static readonly AbiLayout ItaniumX64 = new(AbiTarget.ItaniumX64, 8, 8, 2, 64, 56, 60, 8);

    /// <summary>MSVC's struct tm is 36 bytes; the union is padded to 40 by its 8-byte members.</summary>
    public static readonly AbiLayout MsvcX64 = new(AbiTarget.MsvcX64, 8, 4, 1, 48, 40, 44, 8);

    public static readonly AbiLayout MsvcX86 = new(AbiTarget.MsvcX86, 4, 4, 1, 48, 40, 44, 4);

    /// <summary>The layout of the process we are loaded into; constant-folded by the AOT compiler.</summary>
    public static AbiLayout Current { get; } = Detect();

    /// <summary>Number of object bases the platform sees: IInitDoneBase, ILanguageExtenderBase, LocaleBase, UserLanguageBase.</summary>
    public const int ComponentBaseCount = 4;

    public static AbiLayout For(AbiTarget target) => target switch
    {
        AbiTarget.ItaniumX64 => ItaniumX64,
        AbiTarget.MsvcX64 => MsvcX64,
        AbiTarget.MsvcX86 => MsvcX86,
        _ => throw new ArgumentOutOfRangeException(nameof(target)),
    };

    /// <summary>The slot a method of an interface occupies in its vtable: the destructor slots come first.</summary>
    public int Slot(int methodIndex) => DestructorSlots + methodIndex;

    private static AbiLayout Detect()
    {
        if (OperatingSystem.IsWindows())
        {
            return IntPtr.Size == 8 ? MsvcX64 : MsvcX86;
        }

        if (IntPtr.Size != 8)
        {
            throw new PlatformNotSupportedException("Only 64-bit builds are supported outside Windows.");
        }

        return ItaniumX64;
    }
}
