// 1C:Enterprise Native API — basic types (tVariant, WCHAR_T, ADDIN_API, the destructor slot).
//
// Re-declared from the public SDK's types.h so that the native host can act as an ABI oracle.
// Must compile with:
//   g++/clang++ on Linux x86_64                      (WCHAR_T = char16_t, sizeof(tVariant) = 64)
//   clang++ -target x86_64-pc-windows-msvc -fsyntax-only   (WCHAR_T = wchar_t, sizeof = 48)
//   clang++ -target i686-pc-windows-msvc   -fsyntax-only   (WCHAR_T = wchar_t, sizeof = 48)
// without any Windows SDK: only headers that clang ships freestanding are included.
#ifndef ADDIN_TYPES_H
#define ADDIN_TYPES_H

#ifndef __has_include
#define __has_include(x) 0
#endif

// ---- fixed-width integers -------------------------------------------------------------------
#if __has_include(<stdint.h>)
#include <stdint.h>
#elif defined(_WIN32)
typedef signed char        int8_t;
typedef short              int16_t;
typedef int                int32_t;
typedef long long          int64_t;
typedef unsigned char      uint8_t;
typedef unsigned short     uint16_t;
typedef unsigned int       uint32_t;
typedef unsigned long long uint64_t;
#else
#error "stdint.h is required on this platform"
#endif

// ---- struct tm ------------------------------------------------------------------------------
// glibc: 9 ints + long tm_gmtoff + const char* tm_zone = 56 bytes on x86_64.
// MSVC CRT: 9 ints = 36 bytes. Without an SDK on Windows we declare the MSVC layout ourselves.
#if __has_include(<time.h>)
#include <time.h>
#elif defined(_WIN32)
#ifndef _TM_DEFINED
#define _TM_DEFINED
struct tm {
    int tm_sec;
    int tm_min;
    int tm_hour;
    int tm_mday;
    int tm_mon;
    int tm_year;
    int tm_wday;
    int tm_yday;
    int tm_isdst;
};
#endif
#else
#error "time.h is required on this platform"
#endif

// ---- calling convention, WCHAR_T --------------------------------------------------------------
#if defined(_WIN32)
#define ADDIN_API __stdcall
#define WCHAR_T wchar_t
#else
#define ADDIN_API
#if defined(ADDIN_WCHAR_T_UINT16)
#define WCHAR_T uint16_t  /* older SDKs */
#else
#define WCHAR_T char16_t  /* newer SDKs; same size/representation as uint16_t: UTF-16LE */
#endif
#endif

// ---- the destructor slot ------------------------------------------------------------------------
// The SDK's interfaces declare a virtual destructor first. MSVC gives it one vtable slot (the scalar
// deleting destructor), the Itanium C++ ABI two (complete and deleting). A compiler of the Itanium
// ABI that targets Windows (mingw-w64 g++, clang --target=x86_64-w64-mingw32) would therefore put
// every method one slot later than the platform (built by MSVC) and the add-in expect. There each
// virtual destructor is replaced by exactly one ordinary virtual function in the same place, with
// the scalar deleting destructor's signature, which deletes nothing: with single inheritance per
// base, one calling convention on x64, 4-byte long and 2-byte wchar_t, g++ then lays out MSVC x64's
// slot numbers (checked against clang's MSVC layout: tests/native-host/windows/check-layouts.py).
// Not for 32-bit mingw: MSVC x86 member functions are __thiscall, g++'s are not the same.
// Define ADDIN_DESTRUCTOR_PLACEHOLDER to 0 to get real destructors (the layout check's negative control).
#ifndef ADDIN_DESTRUCTOR_PLACEHOLDER
#if defined(_WIN32) && !defined(_MSC_VER)
#define ADDIN_DESTRUCTOR_PLACEHOLDER 1
#else
#define ADDIN_DESTRUCTOR_PLACEHOLDER 0
#endif
#endif
#if ADDIN_DESTRUCTOR_PLACEHOLDER
/// In an interface: where the SDK declares `virtual ~Class() {}`.
#define ADDIN_VIRTUAL_DESTRUCTOR(Class) \
    virtual void* ADDIN_API addinDestructorSlot(unsigned int /*flags*/) { return this; }
/// In an implementation: its destructor (not virtual here: nothing deletes through the interfaces).
#define ADDIN_DESTRUCTOR_OVERRIDE(Class) ~Class()
#else
#define ADDIN_VIRTUAL_DESTRUCTOR(Class) virtual ~Class() {}
#define ADDIN_DESTRUCTOR_OVERRIDE(Class) ~Class() override
#endif

// ---- GUID / IID / DATE ----------------------------------------------------------------------
#if defined(_WIN32) && __has_include(<guiddef.h>)
// A Windows SDK is there (mingw-w64's, or Microsoft's): its GUID and IID, so that <windows.h> may
// come before or after this header.
#include <guiddef.h>
#ifndef _DATE_DEFINED
#define _DATE_DEFINED
typedef double DATE;
#endif
#elif defined(_WIN32)
#ifndef GUID_DEFINED
#define GUID_DEFINED
typedef struct _GUID {
    unsigned long  Data1;  // 4 bytes on Windows (LLP64)
    unsigned short Data2;
    unsigned short Data3;
    unsigned char  Data4[8];
} GUID;
#endif
#ifndef __IID_DEFINED__
#define __IID_DEFINED__
typedef GUID IID;
#endif
#ifndef _DATE_DEFINED
#define _DATE_DEFINED
typedef double DATE;
#endif
#else
typedef struct _GUID {
    uint32_t Data1;
    uint16_t Data2;
    uint16_t Data3;
    uint8_t  Data4[8];
} GUID;
typedef GUID IID;
typedef double DATE;
#endif

typedef unsigned short TYPEVAR;

enum ENUMVAR {
    VTYPE_EMPTY = 0,
    VTYPE_NULL,
    VTYPE_I2,         // int16_t
    VTYPE_I4,         // int32_t
    VTYPE_R4,         // float
    VTYPE_R8,         // double
    VTYPE_DATE,       // DATE (double)
    VTYPE_TM,         // struct tm
    VTYPE_PSTR,       // struct str    string (char*, byte length)
    VTYPE_INTERFACE,  // struct iface
    VTYPE_ERROR,      // int32_t errCode
    VTYPE_BOOL,       // bool
    VTYPE_VARIANT,    // struct _tVariant*
    VTYPE_I1,         // int8_t
    VTYPE_UI1,        // uint8_t
    VTYPE_UI2,        // uint16_t
    VTYPE_UI4,        // uint32_t
    VTYPE_I8,         // int64_t
    VTYPE_UI8,        // uint64_t
    VTYPE_INT,        // int
    VTYPE_UINT,       // unsigned int
    VTYPE_HRESULT,    // long hRes
    VTYPE_PWSTR,      // struct wstr  (WCHAR_T*, length in UTF-16 units)
    VTYPE_BLOB,       // means in struct str binary data contain
    VTYPE_CLSID,      // UUID
    VTYPE_STR_BLOB = 0xfff,
    VTYPE_VECTOR = 0x1000,
    VTYPE_ARRAY = 0x2000,
    VTYPE_BYREF = 0x4000,  // only with struct _tVariant*
    VTYPE_RESERVED = 0x8000,
    VTYPE_ILLEGAL = 0xffff,
    VTYPE_ILLEGALMASKED = 0xfff,
    VTYPE_TYPEMASK = 0xfff
};

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#elif defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wgnu-anonymous-struct"
#pragma clang diagnostic ignored "-Wnested-anon-types"
#pragma clang diagnostic ignored "-Wc11-extensions"
#endif

typedef struct _tVariant {
    union {
        int8_t        i8Val;
        int16_t       shortVal;
        int32_t       lVal;
        int32_t       intVal;
        unsigned int  uintVal;
        int64_t       llVal;
        uint8_t       ui8Val;
        uint16_t      ushortVal;
        uint32_t      ulVal;
        uint64_t      ullVal;
        int32_t       errCode;
        long          hRes;
        float         fltVal;
        double        dblVal;
        bool          bVal;
        char          chVal;
        wchar_t       wchVal;
        DATE          date;
        IID           IDVal;
        struct _tVariant* pvarVal;
        struct tm     tmVal;
        struct {
            void* pInterfaceVal;
            IID   InterfaceID;
        };
        struct {
            char*    pstrVal;
            uint32_t strLen;   // count of bytes
        };
        struct {
            WCHAR_T* pwstrVal;
            uint32_t wstrLen;  // count of UTF-16 units, without the terminator
        };
    };
    uint32_t cbElements;  // dimension of a one-dimensional array in pvarVal
    TYPEVAR  vt;
} tVariant;

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#elif defined(__clang__)
#pragma clang diagnostic pop
#endif

// Accessor macros, as in the SDK.
#define TV_VT(x)     ((x)->vt)
#define TV_JOIN(X, Y) ((X)->Y)
#define TV_I4(X)     TV_JOIN(X, lVal)
#define TV_I8(X)     TV_JOIN(X, llVal)
#define TV_R8(X)     TV_JOIN(X, dblVal)
#define TV_BOOL(X)   TV_JOIN(X, bVal)
#define TV_DATE(X)   TV_JOIN(X, date)
#define TV_STR(X)    TV_JOIN(X, pstrVal)
#define TV_WSTR(X)   TV_JOIN(X, pwstrVal)
#define tVarInit(x)  ((x)->vt = VTYPE_EMPTY)

#endif  // ADDIN_TYPES_H
