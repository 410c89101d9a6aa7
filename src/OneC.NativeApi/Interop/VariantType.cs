namespace OneC.NativeApi.Interop;

/// <summary>tVariant type codes (TYPEVAR) from the SDK's types.h.</summary>
public enum VariantType : ushort
{
    Empty = 0,
    Null = 1,
    I2 = 2,
    I4 = 3,
    R4 = 4,
    R8 = 5,
    Date = 6,
    Tm = 7,
    PStr = 8,
    Interface = 9,
    Error = 10,
    Bool = 11,
    Variant = 12,
    I1 = 13,
    UI1 = 14,
    UI2 = 15,
    UI4 = 16,
    I8 = 17,
    UI8 = 18,
    Int = 19,
    UInt = 20,
    HResult = 21,
    PWStr = 22,
    Blob = 23,
    Clsid = 24,
}
