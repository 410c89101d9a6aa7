// Instantiates every Native API type so that clang's -fdump-record-layouts and
// -fdump-vtable-layouts print them (used by tools/dump-windows-layouts.sh linux).
#include "addin/addin.h"

class Impl final : public IComponentBase {
public:
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
int probe() {
    Impl i;
    tVariant v{};
    IPlatformInfo::AppInfo a{};
    return int(sizeof i + sizeof v + sizeof a) + (static_cast<IAddInDefBaseEx*>(nullptr) ? 1 : 0) +
           (static_cast<IMemoryManager*>(nullptr) ? 1 : 0);
}
