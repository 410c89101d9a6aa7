// Prints, as JSON, the layout this compiler (mingw-w64 g++) gives the SDK types: the vtable slot
// of every virtual method (from member-function pointers: in the Itanium ABI g++ speaks, a
// pointer to a virtual member holds 1 + its byte offset in the vtable), the base subobject
// offsets of the component, and the sizes and offsets of tVariant and AppInfo.
// check-layouts.py compares it with clang's MSVC x64 layout of the same headers (with real
// virtual destructors there); built without ADDIN_DESTRUCTOR_PLACEHOLDER (abi-probe-itanium.exe)
// it must disagree. With PROBE_HOST_CLASSES, the host's own platform objects are listed too.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "addin/addin.h"
#include "addin/empty_component.h"
#ifdef PROBE_HOST_CLASSES
#include "memory.h"
#include "platform.h"
#endif

namespace {

struct Entry {
    std::string cls, method;
    long slot;  // -1: not a virtual function
};
std::vector<Entry> entries;

template <typename PMF>
long slotOf(PMF pmf) {
    static_assert(sizeof(PMF) == 2 * sizeof(void*), "Itanium member-function pointers: {ptr, adj}");
    uintptr_t raw[2];
    std::memcpy(raw, &pmf, sizeof raw);
    if ((raw[0] & 1) == 0) return -1;  // a non-virtual function's address
    return long((raw[0] - 1) / sizeof(void*));
}

#define SLOT(Class, Method) entries.push_back({#Class, #Method, slotOf(&Class::Method)})
#if ADDIN_DESTRUCTOR_PLACEHOLDER
#define DTOR(Class) entries.push_back({#Class, "~", slotOf(&Class::addinDestructorSlot)})
#else
#define DTOR(Class) (void)0  // a real destructor has no member pointer; its slots shift the rest
#endif

template <typename Base, typename Derived>
long baseOffset() {
    alignas(Derived) static char storage[sizeof(Derived)];
    auto* d = reinterpret_cast<Derived*>(storage);
    return long(reinterpret_cast<char*>(static_cast<Base*>(d)) - storage);
}

}  // namespace

int main() {
    DTOR(IInitDoneBase);
    SLOT(IInitDoneBase, Init);
    SLOT(IInitDoneBase, setMemManager);
    SLOT(IInitDoneBase, GetInfo);
    SLOT(IInitDoneBase, Done);

    DTOR(ILanguageExtenderBase);
    SLOT(ILanguageExtenderBase, RegisterExtensionAs);
    SLOT(ILanguageExtenderBase, GetNProps);
    SLOT(ILanguageExtenderBase, FindProp);
    SLOT(ILanguageExtenderBase, GetPropName);
    SLOT(ILanguageExtenderBase, GetPropVal);
    SLOT(ILanguageExtenderBase, SetPropVal);
    SLOT(ILanguageExtenderBase, IsPropReadable);
    SLOT(ILanguageExtenderBase, IsPropWritable);
    SLOT(ILanguageExtenderBase, GetNMethods);
    SLOT(ILanguageExtenderBase, FindMethod);
    SLOT(ILanguageExtenderBase, GetMethodName);
    SLOT(ILanguageExtenderBase, GetNParams);
    SLOT(ILanguageExtenderBase, GetParamDefValue);
    SLOT(ILanguageExtenderBase, HasRetVal);
    SLOT(ILanguageExtenderBase, CallAsProc);
    SLOT(ILanguageExtenderBase, CallAsFunc);

    DTOR(LocaleBase);
    SLOT(LocaleBase, SetLocale);
    DTOR(UserLanguageBase);
    SLOT(UserLanguageBase, SetUserInterfaceLanguageCode);

    DTOR(IAddInDefBase);
    SLOT(IAddInDefBase, AddError);
    SLOT(IAddInDefBase, Read);
    SLOT(IAddInDefBase, Write);
    SLOT(IAddInDefBase, RegisterProfileAs);
    SLOT(IAddInDefBase, SetEventBufferDepth);
    SLOT(IAddInDefBase, GetEventBufferDepth);
    SLOT(IAddInDefBase, ExternalEvent);
    SLOT(IAddInDefBase, CleanEventBuffer);
    SLOT(IAddInDefBase, SetStatusLine);
    SLOT(IAddInDefBase, ResetStatusLine);
    // IAddInDefBaseEx extends IAddInDefBase's table: the inherited slots stay, GetInterface follows.
    DTOR(IAddInDefBaseEx);
    SLOT(IAddInDefBaseEx, AddError);
    SLOT(IAddInDefBaseEx, ResetStatusLine);
    SLOT(IAddInDefBaseEx, GetInterface);

    DTOR(IMemoryManager);
    SLOT(IMemoryManager, AllocMemory);
    SLOT(IMemoryManager, FreeMemory);
    SLOT(IMsgBox, Confirm);
    SLOT(IMsgBox, Alert);
    SLOT(IPlatformInfo, GetPlatformInfo);
    SLOT(IAttachedInfo, GetAttachedInfo);

#ifdef PROBE_HOST_CLASSES
    // The objects the host hands to the add-in, as compiled into addin-platform.exe.
    using host::MemoryManager;
    using host::Platform;
    SLOT(Platform, AddError);
    SLOT(Platform, ExternalEvent);
    SLOT(Platform, SetEventBufferDepth);
    SLOT(Platform, GetInterface);
    SLOT(MemoryManager, AllocMemory);
    SLOT(MemoryManager, FreeMemory);
    entries.push_back({"host::PlatformInfo", "GetPlatformInfo", slotOf(&host::PlatformInfo::GetPlatformInfo)});
    entries.push_back({"host::AttachedInfo", "GetAttachedInfo", slotOf(&host::AttachedInfo::GetAttachedInfo)});
    entries.push_back({"host::MsgBox", "Confirm", slotOf(&host::MsgBox::Confirm)});
    entries.push_back({"host::MsgBox", "Alert", slotOf(&host::MsgBox::Alert)});
#endif

    std::printf("{\n  \"placeholder\": %d,\n", ADDIN_DESTRUCTOR_PLACEHOLDER);
    std::printf("  \"sizes\": {\"pointer\": %zu, \"long\": %zu, \"WCHAR_T\": %zu, \"tm\": %zu, \"bool\": %zu},\n",
                sizeof(void*), sizeof(long), sizeof(WCHAR_T), sizeof(struct tm), sizeof(bool));
    std::printf("  \"records\": {\n");
    std::printf("    \"_tVariant\": {\"size\": %zu, \"pwstrVal\": %zu, \"wstrLen\": %zu, \"pstrVal\": %zu, \"strLen\": %zu, "
                "\"tmVal\": %zu, \"cbElements\": %zu, \"vt\": %zu},\n",
                sizeof(tVariant), offsetof(tVariant, pwstrVal), offsetof(tVariant, wstrLen), offsetof(tVariant, pstrVal),
                offsetof(tVariant, strLen), offsetof(tVariant, tmVal), offsetof(tVariant, cbElements),
                offsetof(tVariant, vt));
    std::printf("    \"IPlatformInfo::AppInfo\": {\"size\": %zu, \"AppVersion\": %zu, \"UserAgentInformation\": %zu, "
                "\"Application\": %zu},\n",
                sizeof(IPlatformInfo::AppInfo), offsetof(IPlatformInfo::AppInfo, AppVersion),
                offsetof(IPlatformInfo::AppInfo, UserAgentInformation), offsetof(IPlatformInfo::AppInfo, Application));
    std::printf("    \"IComponentBase\": {\"size\": %zu, \"IInitDoneBase\": %ld, \"ILanguageExtenderBase\": %ld, "
                "\"LocaleBase\": %ld, \"UserLanguageBase\": %ld},\n",
                sizeof(IComponentBase), baseOffset<IInitDoneBase, IComponentBase>(),
                baseOffset<ILanguageExtenderBase, IComponentBase>(), baseOffset<LocaleBase, IComponentBase>(),
                baseOffset<UserLanguageBase, IComponentBase>());
    std::printf("    \"IAddInDefBaseEx\": {\"size\": %zu},\n", sizeof(IAddInDefBaseEx));
    std::printf("    \"IMemoryManager\": {\"size\": %zu},\n", sizeof(IMemoryManager));
    std::printf("    \"IPlatformInfo\": {\"size\": %zu}\n", sizeof(IPlatformInfo));
    std::printf("  },\n  \"slots\": [\n");
    for (size_t i = 0; i < entries.size(); ++i)
        std::printf("    {\"class\": \"%s\", \"method\": \"%s\", \"slot\": %ld}%s\n", entries[i].cls.c_str(),
                    entries[i].method.c_str(), entries[i].slot, i + 1 < entries.size() ? "," : "");
    std::printf("  ]\n}\n");
    return 0;
}
