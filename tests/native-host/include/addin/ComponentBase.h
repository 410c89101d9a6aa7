// 1C:Enterprise Native API — the component's side (ComponentBase.h of the SDK, re-declared).
//
// The object the platform holds is an IComponentBase: four consecutive vtable pointers
// (IInitDoneBase, ILanguageExtenderBase, LocaleBase, UserLanguageBase). Each vtable starts with
// the destructor slot(s): two on the Itanium ABI (Linux, macOS), one on MSVC.
#ifndef ADDIN_COMPONENTBASE_H
#define ADDIN_COMPONENTBASE_H

#include "types.h"

/// Initialization and termination of the component.
class IInitDoneBase {
public:
    ADDIN_VIRTUAL_DESTRUCTOR(IInitDoneBase)
    /// disp: the platform object (IAddInDefBase, or IAddInDefBaseEx with capabilities >= 1).
    virtual bool ADDIN_API Init(void* disp) = 0;
    /// mem: the platform's IMemoryManager.
    virtual bool ADDIN_API setMemManager(void* mem) = 0;
    /// Component version: 2000 means 2.0.
    virtual long ADDIN_API GetInfo() = 0;
    virtual void ADDIN_API Done() = 0;
};

/// Properties and methods, as 1C code sees them.
class ILanguageExtenderBase {
public:
    ADDIN_VIRTUAL_DESTRUCTOR(ILanguageExtenderBase)
    virtual bool ADDIN_API RegisterExtensionAs(WCHAR_T** wsExtensionName) = 0;
    virtual long ADDIN_API GetNProps() = 0;
    virtual long ADDIN_API FindProp(const WCHAR_T* wsPropName) = 0;
    virtual const WCHAR_T* ADDIN_API GetPropName(long lPropNum, long lPropAlias) = 0;
    virtual bool ADDIN_API GetPropVal(const long lPropNum, tVariant* pvarPropVal) = 0;
    virtual bool ADDIN_API SetPropVal(const long lPropNum, tVariant* varPropVal) = 0;
    virtual bool ADDIN_API IsPropReadable(const long lPropNum) = 0;
    virtual bool ADDIN_API IsPropWritable(const long lPropNum) = 0;
    virtual long ADDIN_API GetNMethods() = 0;
    virtual long ADDIN_API FindMethod(const WCHAR_T* wsMethodName) = 0;
    virtual const WCHAR_T* ADDIN_API GetMethodName(const long lMethodNum,
                                                  const long lMethodAlias) = 0;
    virtual long ADDIN_API GetNParams(const long lMethodNum) = 0;
    virtual bool ADDIN_API GetParamDefValue(const long lMethodNum, const long lParamNum,
                                            tVariant* pvarParamDefValue) = 0;
    virtual bool ADDIN_API HasRetVal(const long lMethodNum) = 0;
    virtual bool ADDIN_API CallAsProc(const long lMethodNum, tVariant* paParams,
                                      const long lSizeArray) = 0;
    virtual bool ADDIN_API CallAsFunc(const long lMethodNum, tVariant* pvarRetValue,
                                      tVariant* paParams, const long lSizeArray) = 0;
};

/// Locale: "rus_RUS" on Windows, "ru_RU" on Linux.
class LocaleBase {
public:
    ADDIN_VIRTUAL_DESTRUCTOR(LocaleBase)
    virtual void ADDIN_API SetLocale(const WCHAR_T* loc) = 0;
};

/// The user's interface language: "ru", "en", ...
class UserLanguageBase {
public:
    ADDIN_VIRTUAL_DESTRUCTOR(UserLanguageBase)
    virtual void ADDIN_API SetUserInterfaceLanguageCode(const WCHAR_T* lang) = 0;
};

/// The component object.
class IComponentBase : public IInitDoneBase,
                       public ILanguageExtenderBase,
                       public LocaleBase,
                       public UserLanguageBase {
public:
    ADDIN_VIRTUAL_DESTRUCTOR(IComponentBase)
};

enum AppCapabilities {
    eAppCapabilitiesInvalid = -1,
    eAppCapabilities1 = 1,
    eAppCapabilities2 = 2,
    eAppCapabilities3 = 3,
    eAppCapabilitiesLast = eAppCapabilities3,
};

enum AttachType {
    eCanAttachNotIsolated = 1,
    eCanAttachIsolated,
    eCanAttachAny,
};

// The exported functions (extern "C", undecorated; cdecl on Windows x86).
typedef long (*GetClassObjectPtr)(const WCHAR_T* wsName, IComponentBase** pIntf);
typedef long (*DestroyObjectPtr)(IComponentBase** pIntf);
typedef const WCHAR_T* (*GetClassNamesPtr)();
typedef AppCapabilities (*SetPlatformCapabilitiesPtr)(const AppCapabilities capabilities);
typedef AttachType (*GetAttachTypePtr)();

#endif  // ADDIN_COMPONENTBASE_H
