// A component that implements every method of IComponentBase and does nothing: the one concrete
// class the layout tests instantiate, so that a compiler lays out (and clang dumps) the object,
// its four vtables and the destructor slots exactly as for a real add-in.
#pragma once

#include "addin/addin.h"

class EmptyComponent : public IComponentBase {
public:
    ADDIN_DESTRUCTOR_OVERRIDE(EmptyComponent) {}
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
