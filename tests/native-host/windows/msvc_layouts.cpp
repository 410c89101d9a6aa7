// The reference for check-layouts.py: compiled by clang for x86_64-pc-windows-msvc (the ABI of
// the 1C platform and of MSVC-built add-ins) with -fdump-record-layouts -fdump-vtable-layouts.
// The SDK-style headers here have real virtual destructors (ADDIN_DESTRUCTOR_PLACEHOLDER is 0
// under _MSC_VER). Every interface gets a concrete class, constructed, so that clang lays out and
// dumps each vtable; nothing is linked or run.
#include "addin/addin.h"
#include "addin/empty_component.h"

// sizeof each, as a record clang dumps.
struct SizeOf_long { long v; };
struct SizeOf_WCHAR_T { WCHAR_T v; };
struct SizeOf_tm { struct tm v; };
struct SizeOf_pointer { void* v; };
struct SizeOf_bool { bool v; };

class RefPlatform final : public IAddInDefBaseEx {
public:
    bool ADDIN_API AddError(unsigned short, const WCHAR_T*, const WCHAR_T*, long) override { return true; }
    bool ADDIN_API Read(WCHAR_T*, tVariant*, long*, WCHAR_T**) override { return false; }
    bool ADDIN_API Write(WCHAR_T*, tVariant*) override { return false; }
    bool ADDIN_API RegisterProfileAs(WCHAR_T*) override { return false; }
    bool ADDIN_API SetEventBufferDepth(long) override { return true; }
    long ADDIN_API GetEventBufferDepth() override { return 1; }
    bool ADDIN_API ExternalEvent(WCHAR_T*, WCHAR_T*, WCHAR_T*) override { return true; }
    void ADDIN_API CleanEventBuffer() override {}
    bool ADDIN_API SetStatusLine(WCHAR_T*) override { return true; }
    void ADDIN_API ResetStatusLine() override {}
    IInterface* ADDIN_API GetInterface(Interfaces) override { return nullptr; }
};
class RefMemory final : public IMemoryManager {
public:
    bool ADDIN_API AllocMemory(void**, unsigned long) override { return false; }
    void ADDIN_API FreeMemory(void**) override {}
};
class RefMsgBox final : public IMsgBox {
public:
    bool ADDIN_API Confirm(const WCHAR_T*, tVariant*) override { return false; }
    bool ADDIN_API Alert(const WCHAR_T*) override { return false; }
};
class RefPlatformInfo final : public IPlatformInfo {
public:
    const AppInfo* ADDIN_API GetPlatformInfo() override { return nullptr; }
};
#pragma clang diagnostic ignored "-Wignored-qualifiers"
class RefAttachedInfo final : public IAttachedInfo {
public:
    const AttachedType ADDIN_API GetAttachedInfo() override { return eAttachedNotIsolated; }
};

void* make(int which) {
    static SizeOf_long l;
    static SizeOf_WCHAR_T w;
    static SizeOf_tm t;
    static SizeOf_pointer p;
    static SizeOf_bool b;
    static tVariant variant;
    static IPlatformInfo::AppInfo info;
    switch (which) {
        case 0: return new EmptyComponent();
        case 1: return new RefPlatform();
        case 2: return new RefMemory();
        case 3: return new RefMsgBox();
        case 4: return new RefPlatformInfo();
        case 5: return new RefAttachedInfo();
        case 6: return &l;
        case 9: return &w;
        case 10: return &t;
        case 11: return &p;
        case 12: return &b;
        case 7: return &variant;
        default: return &info;
    }
}
