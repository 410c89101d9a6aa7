// ABI oracle for OneC.NativeApi.Tests (AbiLayoutTests): compiled by the test with clang for
//   x86_64-pc-windows-msvc, i686-pc-windows-msvc and x86_64-linux-gnu
// with -Xclang -fdump-record-layouts -Xclang -fdump-vtable-layouts and -emit-llvm. The test reads
// the record layouts, the vtable index tables and the LLVM IR (calling conventions, constants)
// and compares them with AbiLayout, the method-order enums and VariantType of the C# side.
//
// It only includes the native host's SDK declarations (tests/native-host/include/addin) and
// instantiates every interface through a concrete class, so that clang lays out each vtable and
// emits each method: nothing here is linked or run.
#include "addin/addin.h"

// ---- sizes clang prints as records ------------------------------------------------------------
struct AbiProbe_Long { long value; };
struct AbiProbe_Pointer { void* value; };
struct AbiProbe_WChar { WCHAR_T value; };
AbiProbe_Long gAbiProbeLong;
AbiProbe_Pointer gAbiProbePointer;
AbiProbe_WChar gAbiProbeWChar;
tVariant gAbiProbeVariant;
IPlatformInfo::AppInfo gAbiProbeAppInfo;

// ---- the component (what the add-in implements) -------------------------------------------------
class ProbeComponent final : public IComponentBase {
public:
    ~ProbeComponent() override {}
    bool ADDIN_API Init(void*) override { return true; }
    bool ADDIN_API setMemManager(void*) override { return true; }
    long ADDIN_API GetInfo() override { return 2000; }
    void ADDIN_API Done() override {}
    bool ADDIN_API RegisterExtensionAs(WCHAR_T**) override { return false; }
    long ADDIN_API GetNProps() override { return 0; }
    long ADDIN_API FindProp(const WCHAR_T*) override { return -1; }
    const WCHAR_T* ADDIN_API GetPropName(long, long) override { return nullptr; }
    bool ADDIN_API GetPropVal(const long, tVariant*) override { return false; }
    bool ADDIN_API SetPropVal(const long, tVariant*) override { return false; }
    bool ADDIN_API IsPropReadable(const long) override { return false; }
    bool ADDIN_API IsPropWritable(const long) override { return false; }
    long ADDIN_API GetNMethods() override { return 0; }
    long ADDIN_API FindMethod(const WCHAR_T*) override { return -1; }
    const WCHAR_T* ADDIN_API GetMethodName(const long, const long) override { return nullptr; }
    long ADDIN_API GetNParams(const long) override { return 0; }
    bool ADDIN_API GetParamDefValue(const long, const long, tVariant*) override { return false; }
    bool ADDIN_API HasRetVal(const long) override { return false; }
    bool ADDIN_API CallAsProc(const long, tVariant*, const long) override { return false; }
    bool ADDIN_API CallAsFunc(const long, tVariant*, tVariant*, const long) override { return false; }
    void ADDIN_API SetLocale(const WCHAR_T*) override {}
    void ADDIN_API SetUserInterfaceLanguageCode(const WCHAR_T*) override {}
};
ProbeComponent gAbiProbeComponent;

// ---- the platform's objects (what the add-in calls) ---------------------------------------------
class ProbePlatform final : public IAddInDefBaseEx {
public:
    ~ProbePlatform() override {}
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
ProbePlatform gAbiProbePlatform;

class ProbeMemory final : public IMemoryManager {
public:
    ~ProbeMemory() override {}
    bool ADDIN_API AllocMemory(void**, unsigned long) override { return false; }
    void ADDIN_API FreeMemory(void**) override {}
};
ProbeMemory gAbiProbeMemory;

class ProbePlatformInfo final : public IPlatformInfo {
public:
    const AppInfo* ADDIN_API GetPlatformInfo() override { return nullptr; }
};
ProbePlatformInfo gAbiProbePlatformInfo;

class ProbeAttachedInfo final : public IAttachedInfo {
public:
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wignored-qualifiers"
#endif
    const AttachedType ADDIN_API GetAttachedInfo() override { return eAttachedNotIsolated; }
#if defined(__clang__)
#pragma clang diagnostic pop
#endif
};
ProbeAttachedInfo gAbiProbeAttachedInfo;

// Constructed at run time, so that each class's constructor runs its bases' constructors: clang then
// lays out (and dumps) every interface's own vtable too, not only the complete objects' ones.
void* AbiProbe_Make(int which) {
    switch (which) {
        case 0: return new ProbeComponent();
        case 1: return new ProbePlatform();
        case 2: return new ProbeMemory();
        case 3: return new ProbePlatformInfo();
        default: return new ProbeAttachedInfo();
    }
}

// ---- the exported functions, declared as the SDK declares them (no calling convention) -------------
extern "C" long GetClassObject(const WCHAR_T*, IComponentBase**) { return 0; }
extern "C" long DestroyObject(IComponentBase**) { return 0; }
extern "C" const WCHAR_T* GetClassNames() { return nullptr; }
extern "C" AppCapabilities SetPlatformCapabilities(const AppCapabilities) { return eAppCapabilitiesLast; }
extern "C" AttachType GetAttachType() { return eCanAttachAny; }
// The host calls them through these typedefs: they must name the same function types.
GetClassObjectPtr gAbiProbeExport1 = &GetClassObject;
DestroyObjectPtr gAbiProbeExport2 = &DestroyObject;
GetClassNamesPtr gAbiProbeExport3 = &GetClassNames;
SetPlatformCapabilitiesPtr gAbiProbeExport4 = &SetPlatformCapabilities;
GetAttachTypePtr gAbiProbeExport5 = &GetAttachType;

// ---- enum values, as `@AbiProbe_<group>_<name> = ... constant i32 <value>` in the IR --------------
#define ABI_PROBE_VALUE(group, name, value) extern "C" const int AbiProbe_##group##_##name = (value);
// Pasted here, not passed on: an argument like NULL would be macro-expanded on its way through.
#define VT(name) extern "C" const int AbiProbe_VTYPE_##name = VTYPE_##name;
VT(EMPTY) VT(NULL) VT(I2) VT(I4) VT(R4) VT(R8) VT(DATE) VT(TM) VT(PSTR) VT(INTERFACE) VT(ERROR)
VT(BOOL) VT(VARIANT) VT(I1) VT(UI1) VT(UI2) VT(UI4) VT(I8) VT(UI8) VT(INT) VT(UINT) VT(HRESULT)
VT(PWSTR) VT(BLOB) VT(CLSID)
#undef VT
ABI_PROBE_VALUE(Interfaces, eIMsgBox, eIMsgBox)
ABI_PROBE_VALUE(Interfaces, eIPlatformInfo, eIPlatformInfo)
ABI_PROBE_VALUE(Interfaces, eIAttachedInfo, eIAttachedInfo)
#define APP(name) ABI_PROBE_VALUE(AppType, name, IPlatformInfo::name)
APP(eAppUnknown) APP(eAppThinClient) APP(eAppThickClient) APP(eAppWebClient) APP(eAppServer)
APP(eAppExtConn) APP(eAppMobileClient) APP(eAppMobileServer)
#undef APP
ABI_PROBE_VALUE(AppCapabilities, eAppCapabilitiesLast, eAppCapabilitiesLast)
ABI_PROBE_VALUE(AttachType, eCanAttachAny, eCanAttachAny)
