// A component object driven the way the 1C platform drives it, with ABI checks on every call.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "addin/addin.h"
#include "library.h"
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

class Component {
public:
    struct Options {
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

    /// Creates the object (GetClassObject, setMemManager, Init, ...). Throws std::runtime_error.
    explicit Component(Library& lib, const Options& opts);
    explicit Component(Library& lib) : Component(lib, Options{}) {}
    ~Component();
    Component(const Component&) = delete;
    Component& operator=(const Component&) = delete;

    /// Done + DestroyObject, as the platform does when the 1C variable goes away.
    void destroy();
    bool alive() const { return obj_ != nullptr; }

    Platform& platform() { return *platform_; }
    IComponentBase* object() { return obj_; }
    Library& library() { return lib_; }
    const Options& options() const { return opts_; }
    long info() const { return info_; }
    const std::string& extensionName() const { return extensionName_; }
    bool initResult() const { return initResult_; }
    bool memResult() const { return memResult_; }

    // Introspection (frees every returned name through the memory manager, like the platform).
    long findMethod(const std::string& name);
    long findProp(const std::string& name);
    long nMethods();
    long nProps();
    std::string methodName(long n, long alias);
    std::string propName(long n, long alias);
    long nParams(long method);
    bool hasRetVal(long method);

    /// Calls like 1C code does: CallAsFunc when the method has a result, else CallAsProc;
    /// missing trailing arguments are filled from GetParamDefValue; every slot is copied
    /// back into `args` afterwards (by-ref parameters).
    CallResult call(const std::string& name, std::vector<Variant>& args);
    CallResult call(const std::string& name, std::vector<Variant>&& args = {});
    /// A function called as a statement: always CallAsProc.
    CallResult callAsProc(const std::string& name, std::vector<Variant>& args);
    /// Exactly args.size() slots (deliberately wrong counts allowed), no defaults.
    CallResult callRaw(long method, std::vector<Variant>& args, bool asFunc);
    /// Same with an explicit count (may differ from args.size(); params may be null when 0).
    CallResult callRawCount(long method, tVariant* params, long count, bool asFunc);

    /// Property access; `ok` receives GetPropVal/SetPropVal's result.
    Variant get(const std::string& prop, bool* ok = nullptr);
    bool set(const std::string& prop, const Variant& v);

    /// ErrorDescription() / ОписаниеОшибки().
    std::string errorDescription();

    /// ABI violations detected by the harness for this object (plus memory manager ones).
    std::vector<std::string> abiViolations() const;

private:
    CallResult invoke(long m, std::vector<Variant>& args, bool asFunc, bool fillDefaults);
    void checkReturned(const tVariant& v, const std::string& where);
    void violation(const std::string& what);
    std::string takeName(const WCHAR_T* p, const std::string& where);

    Library& lib_;
    Options opts_;
    std::shared_ptr<Platform> platform_;
    IComponentBase* obj_ = nullptr;
    long info_ = 0;
    bool initResult_ = false, memResult_ = false;
    std::string extensionName_;
    mutable std::mutex mu_;
    std::vector<std::string> violations_;
};

}  // namespace host
