// What a test can do with one add-in object, wherever the add-in runs: in this process
// (LocalComponent, component.h) or in the Windows host under Wine (RemoteComponent, remote.h).
// Component (component.h) is the tests' face of either.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "addin/addin.h"
#include "platform.h"
#include "variant.h"

namespace host {

struct CallResult {
    bool found = true;     // the method name was found
    bool called = false;   // CallAsFunc/CallAsProc was invoked
    bool ok = false;       // what CallAsFunc/CallAsProc returned (false = 1C raises an exception)
    bool missingArgs = false;  // a missing argument had no default: the platform refuses the call
    Variant ret;           // CallAsFunc's result (EMPTY for CallAsProc)
    std::vector<ErrorRecord> errors;  // AddError calls made during the call

    /// ok && the result is True (for the Boolean methods of the add-in).
    bool isTrue() const { return ok && ret.boolean(); }
    /// All AddError texts, joined by " | ".
    std::string errorText() const;
    /// Whether any AddError has `code` and its text contains `needle`.
    bool hasError(const std::string& needle, unsigned short code = 1006) const;
    std::string describe() const;
};

/// How the platform creates the object (Component::Options).
struct ComponentOptions {
    std::string className = "Server";
    std::string locale = "en_US";  // SetLocale; "" = not called
    std::string language = "en";   // SetUserInterfaceLanguageCode; "" = not called
    bool memManagerFirst = true;   // setMemManager before Init (else after)
    bool provideInterfaces = true; // GetInterface returns the interfaces (else null)
    bool callGetInfo = true;
    bool callRegisterExtensionAs = true;
    IAttachedInfo::AttachedType attached = IAttachedInfo::eAttachedNotIsolated;
    IPlatformInfo::AppType application = IPlatformInfo::eAppServer;
};

/// One add-in object as the platform drives it, with the harness's ABI checks on every call.
/// Every method may be called from any thread, concurrently (as 1C's own threads may).
class ComponentBackend {
public:
    virtual ~ComponentBackend() = default;

    /// Done + DestroyObject, as the platform does when the 1C variable goes away.
    virtual void destroy() = 0;
    /// Done alone, as the platform calls it before DestroyObject; destroy() then skips it.
    virtual void done() = 0;
    virtual bool alive() const = 0;
    virtual PlatformEvents& events() = 0;
    /// The raw object, only when it lives in this process (null otherwise).
    virtual IComponentBase* object() = 0;
    /// The platform object, only when it lives in this process (null otherwise).
    virtual Platform* localPlatform() = 0;

    // What creating it gave.
    virtual long info() const = 0;
    virtual const std::string& extensionName() const = 0;
    virtual bool initResult() const = 0;
    virtual bool memResult() const = 0;

    // Introspection (every returned name is freed through the memory manager, like the platform).
    virtual long findMethod(const std::string& name) = 0;
    virtual long findProp(const std::string& name) = 0;
    virtual long nMethods() = 0;
    virtual long nProps() = 0;
    virtual std::string methodName(long n, long alias) = 0;
    virtual std::string propName(long n, long alias) = 0;
    virtual long nParams(long method) = 0;
    virtual bool hasRetVal(long method) = 0;
    virtual bool isPropReadable(long n) = 0;
    virtual bool isPropWritable(long n) = 0;
    /// GetParamDefValue(method, param): its result; *out gets the value (checked like a result).
    virtual bool paramDefValue(long method, long param, Variant* out) = 0;

    virtual CallResult call(const std::string& name, std::vector<Variant>& args) = 0;
    virtual CallResult callAsProc(const std::string& name, std::vector<Variant>& args) = 0;
    virtual CallResult callRaw(long method, std::vector<Variant>& args, bool asFunc) = 0;
    virtual CallResult callRawCount(long method, tVariant* params, long count, bool asFunc) = 0;

    virtual Variant get(const std::string& prop, bool* ok) = 0;
    virtual bool set(const std::string& prop, const Variant& v) = 0;

    /// ABI violations seen for this object, plus those of the memory manager and the platform.
    virtual std::vector<std::string> abiViolations() const = 0;
};

}  // namespace host
