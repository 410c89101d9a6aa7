// 1C:Enterprise Native API — the platform's side (AddInDefBase.h of the SDK, re-declared).
#ifndef ADDIN_ADDINDEFBASE_H
#define ADDIN_ADDINDEFBASE_H

#include "types.h"

/// The platform object passed to IInitDoneBase::Init.
class IAddInDefBase {
public:
    ADDIN_VIRTUAL_DESTRUCTOR(IAddInDefBase)
    /// Adds an error message. wcode: 1000..1009 (1006 = fail: the platform raises an exception).
    virtual bool ADDIN_API AddError(unsigned short wcode, const WCHAR_T* source,
                                    const WCHAR_T* descr, long scode) = 0;
    virtual bool ADDIN_API Read(WCHAR_T* wszPropName, tVariant* pVal, long* pErrCode,
                                WCHAR_T** errDescriptor) = 0;
    virtual bool ADDIN_API Write(WCHAR_T* wszPropName, tVariant* pVar) = 0;
    virtual bool ADDIN_API RegisterProfileAs(WCHAR_T* wszProfileName) = 0;
    virtual bool ADDIN_API SetEventBufferDepth(long lDepth) = 0;
    virtual long ADDIN_API GetEventBufferDepth() = 0;
    virtual bool ADDIN_API ExternalEvent(WCHAR_T* wszSource, WCHAR_T* wszMessage,
                                         WCHAR_T* wszData) = 0;
    virtual void ADDIN_API CleanEventBuffer() = 0;
    virtual bool ADDIN_API SetStatusLine(WCHAR_T* wszStatusLine) = 0;
    virtual void ADDIN_API ResetStatusLine() = 0;
};

/// Marker base of the interfaces returned by IAddInDefBaseEx::GetInterface. No virtual
/// functions, hence no destructor slot in the interfaces below.
class IInterface {};

enum Interfaces {
    eIMsgBox = 0,
    eIPlatformInfo,
    eIAttachedInfo,
};

class IMsgBox : public IInterface {
public:
    virtual bool ADDIN_API Confirm(const WCHAR_T* queryText, tVariant* retVal) = 0;
    virtual bool ADDIN_API Alert(const WCHAR_T* text) = 0;
};

class IPlatformInfo : public IInterface {
public:
    enum AppType {
        eAppUnknown = -1,
        eAppThinClient = 0,
        eAppThickClient,
        eAppWebClient,
        eAppServer,
        eAppExtConn,
        eAppMobileClient,
        eAppMobileServer,
    };

    struct AppInfo {
        const WCHAR_T* AppVersion;
        const WCHAR_T* UserAgentInformation;
        AppType Application;
    };

    virtual const AppInfo* ADDIN_API GetPlatformInfo() = 0;
};

class IAttachedInfo : public IInterface {
public:
    enum AttachedType {
        eAttachedIsolated = 0,
        eAttachedNotIsolated,
    };
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-qualifiers"
#endif
    // `const` on the return type is the SDK's own spelling; it changes nothing in the ABI.
    virtual const AttachedType ADDIN_API GetAttachedInfo() = 0;
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic pop
#endif
};

/// What the platform passes to Init when the add-in's SetPlatformCapabilities returned >= 1.
class IAddInDefBaseEx : public IAddInDefBase {
public:
    ADDIN_VIRTUAL_DESTRUCTOR(IAddInDefBaseEx)
    virtual IInterface* ADDIN_API GetInterface(Interfaces iface) = 0;
};

#endif  // ADDIN_ADDINDEFBASE_H
