// Compiled (syntax only) with clang for the Windows targets, without any Windows SDK:
//   clang++ -target x86_64-pc-windows-msvc -fsyntax-only -I include tests/abi_windows.cpp
//   clang++ -target i686-pc-windows-msvc   -fsyntax-only -I include tests/abi_windows.cpp
// It checks the Windows facts of native-api.md against the same header the Linux tests use.
#include "addin/addin.h"
#include "addin/empty_component.h"

#define OFFSET(T, m) __builtin_offsetof(T, m)

#if !defined(_WIN32)
#error "compile for a Windows target"
#endif

static_assert(sizeof(long) == 4, "C long is 4 bytes on Windows");
static_assert(sizeof(WCHAR_T) == 2, "wchar_t is 2 bytes on Windows");
static_assert(sizeof(struct tm) == 36, "MSVC struct tm: 9 ints");
static_assert(sizeof(tVariant) == 48, "sizeof(tVariant) on Windows");
static_assert(OFFSET(tVariant, cbElements) == 40, "cbElements at 40");
static_assert(OFFSET(tVariant, vt) == 44, "vt at 44");
static_assert(OFFSET(tVariant, wstrLen) == sizeof(void*), "length right after the pointer (4 on x86, 8 on x64)");
static_assert(OFFSET(tVariant, strLen) == sizeof(void*), "length right after the pointer (4 on x86, 8 on x64)");
static_assert(sizeof(IPlatformInfo::AppInfo) == 3 * sizeof(void*), "AppInfo: 12 bytes on x86, 24 on x64");
static_assert(OFFSET(IPlatformInfo::AppInfo, Application) == 2 * sizeof(void*), "Application after two pointers");

using Impl = EmptyComponent;
static_assert(sizeof(Impl) == 4 * sizeof(void*), "the object is four vtable pointers");

class Mem final : public IMemoryManager {
public:
    bool ADDIN_API AllocMemory(void**, unsigned long) override { return false; }
    void ADDIN_API FreeMemory(void**) override {}
};

class Info final : public IPlatformInfo {
public:
    const AppInfo* ADDIN_API GetPlatformInfo() override { return nullptr; }
};
static_assert(sizeof(Info) == sizeof(void*), "IPlatformInfo: one vptr, no destructor");

// The exported functions' types (cdecl on x86).
extern "C" long GetClassObject(const WCHAR_T*, IComponentBase**);
extern "C" long DestroyObject(IComponentBase**);
extern "C" const WCHAR_T* GetClassNames();
extern "C" AppCapabilities SetPlatformCapabilities(const AppCapabilities);
extern "C" AttachType GetAttachType();
static GetClassObjectPtr p1 = &GetClassObject;
static DestroyObjectPtr p2 = &DestroyObject;
static GetClassNamesPtr p3 = &GetClassNames;
static SetPlatformCapabilitiesPtr p4 = &SetPlatformCapabilities;
static GetAttachTypePtr p5 = &GetAttachType;

// Instances, so that vftables are emitted (for -fdump-vtable-layouts).
Impl gImpl;
Mem gMem;
Info gInfo;

int main() { return (p1 && p2 && p3 && p4 && p5) ? 0 : 1; }
