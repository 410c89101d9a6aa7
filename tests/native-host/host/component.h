// A component object driven the way the 1C platform drives it, with ABI checks on every call:
// LocalComponent does it in this process; Component is the tests' face of it, or of the same
// object inside the Windows host under Wine (remote.h), as Library::load chose.
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "addin/addin.h"
#include "backend.h"
#include "library.h"
#include "platform.h"
#include "variant.h"

namespace host {

/// The object in this process, called through its vtables exactly as the platform calls it.
class LocalComponent final : public ComponentBackend {
public:
    /// Creates the object (GetClassObject, setMemManager, Init, ...). Throws std::runtime_error.
    LocalComponent(Library& lib, const ComponentOptions& opts);
    ~LocalComponent() override;

    void destroy() override;
    void done() override;
    bool alive() const override { return obj_ != nullptr; }
    PlatformEvents& events() override { return *events_; }
    IComponentBase* object() override { return obj_; }
    Platform* localPlatform() override { return platform_.get(); }
    long info() const override { return info_; }
    const std::string& extensionName() const override { return extensionName_; }
    bool initResult() const override { return initResult_; }
    bool memResult() const override { return memResult_; }

    long findMethod(const std::string& name) override;
    long findProp(const std::string& name) override;
    long nMethods() override;
    long nProps() override;
    std::string methodName(long n, long alias) override;
    std::string propName(long n, long alias) override;
    long nParams(long method) override;
    bool hasRetVal(long method) override;
    bool isPropReadable(long n) override;
    bool isPropWritable(long n) override;
    bool paramDefValue(long method, long param, Variant* out) override;

    /// Calls like 1C code does: CallAsFunc when the method has a result, else CallAsProc;
    /// missing trailing arguments are filled from GetParamDefValue; every slot is copied
    /// back into `args` afterwards (by-ref parameters).
    CallResult call(const std::string& name, std::vector<Variant>& args) override;
    /// A function called as a statement: always CallAsProc.
    CallResult callAsProc(const std::string& name, std::vector<Variant>& args) override;
    /// Exactly args.size() slots (deliberately wrong counts allowed), no defaults.
    CallResult callRaw(long method, std::vector<Variant>& args, bool asFunc) override;
    /// Same with an explicit count (may differ from args.size(); params may be null when 0).
    CallResult callRawCount(long method, tVariant* params, long count, bool asFunc) override;

    Variant get(const std::string& prop, bool* ok) override;
    bool set(const std::string& prop, const Variant& v) override;

    std::vector<std::string> abiViolations() const override;

private:
    class Events;
    CallResult invoke(long m, std::vector<Variant>& args, bool asFunc, bool fillDefaults);
    void checkReturned(const tVariant& v, const std::string& where);
    void violation(const std::string& what);
    std::string takeName(const WCHAR_T* p, const std::string& where);

    Library& lib_;
    ComponentOptions opts_;
    std::shared_ptr<Platform> platform_;
    std::unique_ptr<PlatformEvents> events_;
    IComponentBase* obj_ = nullptr;
    std::atomic<bool> doneCalled_{false};
    long info_ = 0;
    bool initResult_ = false, memResult_ = false;
    std::string extensionName_;
    mutable std::mutex mu_;
    std::vector<std::string> violations_;
};

/// One add-in object for the tests: created in this process or in the Windows host under Wine,
/// whichever Library::load chose (WEBSOCKET_WINE_HOST); the API is the same.
class Component {
public:
    using Options = ComponentOptions;

    /// Creates the object (GetClassObject, setMemManager, Init, ...). Throws std::runtime_error.
    Component(Library& lib, const Options& opts);
    explicit Component(Library& lib) : Component(lib, Options{}) {}
    ~Component();
    Component(const Component&) = delete;
    Component& operator=(const Component&) = delete;

    /// Done + DestroyObject, as the platform does when the 1C variable goes away.
    void destroy() { impl_->destroy(); }
    /// Done alone (destroy() then only calls DestroyObject): from here on any call the add-in makes
    /// into the platform is recorded as a violation.
    void done() { impl_->done(); }
    bool alive() const { return impl_->alive(); }

    /// The platform's event buffer this object reports to.
    PlatformEvents& platform() { return impl_->events(); }
    /// The raw object and the platform object, only when the add-in runs in this process (else null).
    IComponentBase* object() { return impl_->object(); }
    Platform* localPlatform() { return impl_->localPlatform(); }
    Library& library() { return lib_; }
    const Options& options() const { return opts_; }
    long info() const { return impl_->info(); }
    const std::string& extensionName() const { return impl_->extensionName(); }
    bool initResult() const { return impl_->initResult(); }
    bool memResult() const { return impl_->memResult(); }

    // Introspection (frees every returned name through the memory manager, like the platform).
    long findMethod(const std::string& name) { return impl_->findMethod(name); }
    long findProp(const std::string& name) { return impl_->findProp(name); }
    long nMethods() { return impl_->nMethods(); }
    long nProps() { return impl_->nProps(); }
    std::string methodName(long n, long alias) { return impl_->methodName(n, alias); }
    std::string propName(long n, long alias) { return impl_->propName(n, alias); }
    long nParams(long method) { return impl_->nParams(method); }
    bool hasRetVal(long method) { return impl_->hasRetVal(method); }
    bool isPropReadable(long n) { return impl_->isPropReadable(n); }
    bool isPropWritable(long n) { return impl_->isPropWritable(n); }
    /// GetParamDefValue: whether the parameter has a default; *out gets it.
    bool paramDefValue(long method, long param, Variant* out) { return impl_->paramDefValue(method, param, out); }

    /// Calls like 1C code does: CallAsFunc when the method has a result, else CallAsProc;
    /// missing trailing arguments are filled from GetParamDefValue; every slot is copied
    /// back into `args` afterwards (by-ref parameters).
    CallResult call(const std::string& name, std::vector<Variant>& args) { return impl_->call(name, args); }
    CallResult call(const std::string& name, std::vector<Variant>&& args = {});
    /// A function called as a statement: always CallAsProc.
    CallResult callAsProc(const std::string& name, std::vector<Variant>& args) { return impl_->callAsProc(name, args); }
    /// Exactly args.size() slots (deliberately wrong counts allowed), no defaults.
    CallResult callRaw(long method, std::vector<Variant>& args, bool asFunc) { return impl_->callRaw(method, args, asFunc); }
    /// Same with an explicit count (may differ from args.size(); params may be null when 0).
    CallResult callRawCount(long method, tVariant* params, long count, bool asFunc) {
        return impl_->callRawCount(method, params, count, asFunc);
    }

    /// Property access; `ok` receives GetPropVal/SetPropVal's result.
    Variant get(const std::string& prop, bool* ok = nullptr) { return impl_->get(prop, ok); }
    bool set(const std::string& prop, const Variant& v) { return impl_->set(prop, v); }

    /// ErrorDescription() / ОписаниеОшибки().
    std::string errorDescription();

    /// ABI violations detected by the harness for this object (plus memory manager ones).
    std::vector<std::string> abiViolations() const { return impl_->abiViolations(); }

private:
    Library& lib_;
    Options opts_;
    std::unique_ptr<ComponentBackend> impl_;
};

}  // namespace host
