#include "component.h"

#include <cstring>
#include <sstream>
#include <stdexcept>

#include "memory.h"
#include "utf.h"

namespace host {

namespace {

MemoryManager& mm() { return MemoryManager::instance(); }

// Platforms are never destroyed: a buggy add-in thread calling after Done must not crash us.
std::mutex graveyardMu;
std::vector<std::shared_ptr<Platform>>& graveyard() {
    static auto* g = new std::vector<std::shared_ptr<Platform>>();
    return *g;
}

const WCHAR_T* w(const std::u16string& s) { return reinterpret_cast<const WCHAR_T*>(s.c_str()); }

bool hasBuffer(const tVariant& t) {
    return (t.vt == VTYPE_PWSTR && t.pwstrVal) ||
           ((t.vt == VTYPE_BLOB || t.vt == VTYPE_PSTR) && t.pstrVal);
}
const void* bufferOf(const tVariant& t) {
    if (t.vt == VTYPE_PWSTR) return t.pwstrVal;
    if (t.vt == VTYPE_BLOB || t.vt == VTYPE_PSTR) return t.pstrVal;
    return nullptr;
}

}  // namespace

std::string CallResult::errorText() const {
    std::string s;
    for (auto& e : errors) {
        if (!s.empty()) s += " | ";
        s += e.descr;
    }
    return s;
}

bool CallResult::hasError(const std::string& needle, unsigned short code) const {
    for (auto& e : errors)
        if (e.code == code && e.descr.find(needle) != std::string::npos) return true;
    return false;
}

std::string CallResult::describe() const {
    std::ostringstream s;
    s << "{found=" << found << " called=" << called << " ok=" << ok << " ret=" << ret.describe();
    if (missingArgs) s << " missingArgs";
    for (auto& e : errors) s << " AddError(" << e.code << ", \"" << e.source << "\", \"" << e.descr << "\", " << e.scode << ")";
    s << "}";
    return s.str();
}

// The platform's event buffer, seen through the Platform object itself.
class LocalComponent::Events final : public PlatformEvents {
public:
    explicit Events(Platform& p) : p_(p) {}
    bool takeEvent(EventRecord* out, std::chrono::milliseconds timeout) override { return p_.takeEvent(out, timeout); }
    size_t bufferedEvents() const override { return p_.bufferedEvents(); }
    long long eventsAccepted() const override { return p_.eventsAccepted(); }
    long long eventsRefused() const override { return p_.eventsRefused(); }
    bool setEventBufferDepth(long depth) override { return p_.SetEventBufferDepth(depth); }
    long eventBufferDepth() override { return p_.GetEventBufferDepth(); }
    bool externalEvent(const std::string& source, const std::string& message, const std::string& data) override {
        std::u16string s = toUtf16(source), m = toUtf16(message), d = toUtf16(data);
        return p_.ExternalEvent(reinterpret_cast<WCHAR_T*>(&s[0]), reinterpret_cast<WCHAR_T*>(&m[0]),
                                reinterpret_cast<WCHAR_T*>(&d[0]));
    }

private:
    Platform& p_;
};

// ---- Component: the tests' face ------------------------------------------------------------------
Component::Component(Library& lib, const Options& opts) : lib_(lib), opts_(opts), impl_(lib.createBackend(opts)) {}

Component::~Component() = default;

CallResult Component::call(const std::string& name, std::vector<Variant>&& args) {
    std::vector<Variant> a = std::move(args);
    return impl_->call(name, a);
}

std::string Component::errorDescription() {
    auto r = call("ErrorDescription");
    if (!r.found) return "<ErrorDescription not found>";
    return r.ret.str();
}

// ---- LocalComponent -----------------------------------------------------------------------------
LocalComponent::LocalComponent(Library& lib, const ComponentOptions& opts) : lib_(lib), opts_(opts) {
    platform_ = std::make_shared<Platform>();
    events_ = std::make_unique<Events>(*platform_);
    platform_->provideInterfaces = opts.provideInterfaces;
    platform_->attachedInfo.type = opts.attached;
    platform_->platformInfo.info.Application = opts.application;
    {
        std::lock_guard<std::mutex> lock(graveyardMu);
        graveyard().push_back(platform_);
    }

    std::u16string cls = toUtf16(opts.className);
    IComponentBase* obj = nullptr;
    long created = lib.getClassObject(w(cls), &obj);
    if (!created || !obj) {
        throw std::runtime_error("GetClassObject(\"" + opts.className + "\") returned " + std::to_string(created) +
                                 (obj ? "" : " and no object"));
    }
    obj_ = obj;

    if (opts.memManagerFirst) {
        memResult_ = obj_->setMemManager(static_cast<IMemoryManager*>(&mm()));
        initResult_ = obj_->Init(static_cast<IAddInDefBase*>(platform_.get()));
    } else {
        initResult_ = obj_->Init(static_cast<IAddInDefBase*>(platform_.get()));
        memResult_ = obj_->setMemManager(static_cast<IMemoryManager*>(&mm()));
    }
    if (opts.callGetInfo) info_ = obj_->GetInfo();
    if (opts.callRegisterExtensionAs) {
        WCHAR_T* name = nullptr;
        bool ok = obj_->RegisterExtensionAs(&name);
        extensionName_ = takeName(name, "RegisterExtensionAs");
        if (!ok) violation("RegisterExtensionAs returned false");
    }
    if (!opts.locale.empty()) {
        std::u16string loc = toUtf16(opts.locale);
        obj_->SetLocale(w(loc));
    }
    if (!opts.language.empty()) {
        std::u16string lang = toUtf16(opts.language);
        obj_->SetUserInterfaceLanguageCode(w(lang));
    }
}

LocalComponent::~LocalComponent() {
    try {
        destroy();
    } catch (...) {
    }
}

void LocalComponent::done() {
    if (!obj_ || doneCalled_.exchange(true)) return;
    obj_->Done();
    platform_->markDone();
}

void LocalComponent::destroy() {
    if (!obj_) return;
    done();
    IComponentBase* p = obj_;
    long rc = lib_.destroyObject(&p);
    if (rc != 0) violation("DestroyObject returned " + std::to_string(rc) + " (0 expected)");
    if (p != nullptr) violation("DestroyObject did not set *pIntf to null");
    obj_ = nullptr;
}

void LocalComponent::violation(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    violations_.push_back(what);
}

std::vector<std::string> LocalComponent::abiViolations() const {
    std::vector<std::string> v;
    {
        std::lock_guard<std::mutex> lock(mu_);
        v = violations_;
    }
    for (auto& s : mm().violations()) v.push_back("memory: " + s);
    for (auto& s : platform_->callsAfterDone()) v.push_back("platform." + s + " called after Done");
    return v;
}

std::string LocalComponent::takeName(const WCHAR_T* p, const std::string& where) {
    if (!p) return {};
    size_t size = 0;
    const char16_t* s = reinterpret_cast<const char16_t*>(p);
    if (!mm().owns(p, &size)) {
        violation(where + ": returned a name not allocated with the memory manager");
        return toUtf8(s);  // do not free foreign memory
    }
    // Must be terminated inside the block.
    size_t units = size / sizeof(char16_t), n = 0;
    while (n < units && s[n]) ++n;
    std::string out;
    if (n == units) {
        violation(where + ": returned name not null-terminated within its block");
        out = toUtf8(s, units);
    } else {
        out = toUtf8(s, n);
    }
    void* q = const_cast<WCHAR_T*>(p);
    mm().FreeMemory(&q);
    return out;
}

void LocalComponent::checkReturned(const tVariant& v, const std::string& where) {
    if (!hasBuffer(v)) {
        if (v.vt == VTYPE_PWSTR && v.wstrLen != 0)
            violation(where + ": PWSTR with null pointer and length " + std::to_string(v.wstrLen));
        if ((v.vt == VTYPE_BLOB || v.vt == VTYPE_PSTR) && v.strLen != 0)
            violation(where + ": BLOB/PSTR with null pointer and length " + std::to_string(v.strLen));
        return;
    }
    size_t size = 0;
    if (!mm().owns(bufferOf(v), &size)) {
        violation(where + ": " + vtName(v.vt) + " buffer not allocated with the memory manager (or already freed)");
        return;
    }
    if (v.vt == VTYPE_PWSTR) {
        size_t need = (size_t(v.wstrLen) + 1) * sizeof(char16_t);
        if (size < need) {
            violation(where + ": PWSTR of " + std::to_string(v.wstrLen) + " units in a " + std::to_string(size) +
                      "-byte block (no room for the terminator)");
        } else if (reinterpret_cast<const char16_t*>(v.pwstrVal)[v.wstrLen] != 0) {
            violation(where + ": PWSTR not null-terminated at wstrLen");
        }
    } else if (size < v.strLen) {
        violation(where + ": " + std::string(vtName(v.vt)) + " length " + std::to_string(v.strLen) + " exceeds its " +
                  std::to_string(size) + "-byte block");
    }
}

long LocalComponent::findMethod(const std::string& name) {
    std::u16string n = toUtf16(name);
    return obj_->FindMethod(w(n));
}

long LocalComponent::findProp(const std::string& name) {
    std::u16string n = toUtf16(name);
    return obj_->FindProp(w(n));
}

long LocalComponent::nMethods() { return obj_->GetNMethods(); }
long LocalComponent::nProps() { return obj_->GetNProps(); }

std::string LocalComponent::methodName(long n, long alias) {
    return takeName(obj_->GetMethodName(n, alias), "GetMethodName(" + std::to_string(n) + "," + std::to_string(alias) + ")");
}

std::string LocalComponent::propName(long n, long alias) {
    return takeName(obj_->GetPropName(n, alias), "GetPropName(" + std::to_string(n) + "," + std::to_string(alias) + ")");
}

long LocalComponent::nParams(long m) { return obj_->GetNParams(m); }
bool LocalComponent::hasRetVal(long m) { return obj_->HasRetVal(m); }
bool LocalComponent::isPropReadable(long n) { return obj_->IsPropReadable(n); }
bool LocalComponent::isPropWritable(long n) { return obj_->IsPropWritable(n); }

bool LocalComponent::paramDefValue(long m, long p, Variant* out) {
    tVariant v;
    std::memset(&v, 0, sizeof v);
    bool has = obj_->GetParamDefValue(m, p, &v);
    checkReturned(v, "GetParamDefValue(" + std::to_string(m) + ", " + std::to_string(p) + ")");
    if (out) out->adopt(v);
    else freeVariant(v);
    return has;
}

CallResult LocalComponent::call(const std::string& name, std::vector<Variant>& args) {
    long m = findMethod(name);
    if (m < 0) {
        CallResult r;
        r.found = false;
        return r;
    }
    return invoke(m, args, hasRetVal(m), true);
}

CallResult LocalComponent::callAsProc(const std::string& name, std::vector<Variant>& args) {
    long m = findMethod(name);
    if (m < 0) {
        CallResult r;
        r.found = false;
        return r;
    }
    return invoke(m, args, false, true);
}

CallResult LocalComponent::callRaw(long method, std::vector<Variant>& args, bool asFunc) {
    return invoke(method, args, asFunc, false);
}

CallResult LocalComponent::callRawCount(long method, tVariant* params, long count, bool asFunc) {
    CallResult r;
    size_t before = platform_->errorCount();
    tVariant ret;
    std::memset(&ret, 0, sizeof ret);
    r.called = true;
    r.ok = asFunc ? obj_->CallAsFunc(method, &ret, params, count) : obj_->CallAsProc(method, params, count);
    checkReturned(ret, "CallAsFunc result");
    r.ret.adopt(ret);
    auto errs = platform_->errors();
    if (errs.size() > before) r.errors.assign(errs.begin() + long(before), errs.end());
    return r;
}

CallResult LocalComponent::invoke(long m, std::vector<Variant>& args, bool asFunc, bool fillDefaults) {
    CallResult r;
    // Built only when something is wrong (GetMethodName allocates).
    auto whereFn = [&] { return std::string(asFunc ? "CallAsFunc" : "CallAsProc") + "(" + std::to_string(m) + ")"; };
    size_t given = args.size();
    size_t total = given;
    std::vector<tVariant> slots;
    if (fillDefaults) {
        long n = nParams(m);
        if (n > long(given)) total = size_t(n);
    }
    slots.resize(total);
    for (size_t i = 0; i < given; ++i) slots[i] = args[i].release();
    for (size_t i = given; i < total; ++i) {
        std::memset(&slots[i], 0, sizeof(tVariant));
        bool has = obj_->GetParamDefValue(m, long(i), &slots[i]);
        checkReturned(slots[i], "GetParamDefValue(" + std::to_string(i) + ")");
        if (!has) {
            freeVariant(slots[i]);
            r.missingArgs = true;
        }
    }
    if (r.missingArgs) {
        // The platform refuses the call ("not enough actual parameters").
        for (size_t i = 0; i < given; ++i) args[i].adopt(slots[i]);
        for (size_t i = given; i < total; ++i) freeVariant(slots[i]);
        return r;
    }
    std::vector<const void*> oldBufs(total);
    std::vector<TYPEVAR> oldVt(total);
    for (size_t i = 0; i < total; ++i) {
        oldBufs[i] = hasBuffer(slots[i]) ? bufferOf(slots[i]) : nullptr;
        oldVt[i] = slots[i].vt;
    }

    size_t before = platform_->errorCount();
    tVariant ret;
    std::memset(&ret, 0, sizeof ret);
    r.called = true;
    tVariant* params = total ? slots.data() : nullptr;
    r.ok = asFunc ? obj_->CallAsFunc(m, &ret, params, long(total)) : obj_->CallAsProc(m, params, long(total));

    checkReturned(ret, "CallAsFunc result");
    r.ret.adopt(ret);

    // By-ref copy-back, checking the add-in followed the slot-overwrite rules. Buffers are
    // compared as sets: an add-in may move a buffer between slots, and malloc may hand a freed
    // address straight back for another slot's new value.
    std::vector<const void*> nowBufs(total, nullptr);
    for (size_t i = 0; i < total; ++i) nowBufs[i] = hasBuffer(slots[i]) ? bufferOf(slots[i]) : nullptr;
    auto inNow = [&](const void* p) {
        for (auto* q : nowBufs)
            if (q == p) return true;
        return false;
    };
    auto inOld = [&](const void* p) {
        for (auto* q : oldBufs)
            if (q == p) return true;
        return false;
    };
    for (size_t i = 0; i < total; ++i) {
        tVariant& s = slots[i];
        const void* now = nowBufs[i];
        auto slot = [&] { return whereFn() + " slot " + std::to_string(i); };
        if (now) {
            bool dup = false;
            for (size_t j = 0; j < i; ++j) dup = dup || nowBufs[j] == now;
            if (dup) {
                violation(slot() + ": shares its buffer with another slot (it would be freed twice)");
                std::memset(&s, 0, sizeof s);
                nowBufs[i] = nullptr;
            } else if (!mm().owns(now)) {
                violation(slot() + ": " + std::string(vtName(s.vt)) +
                          " buffer not allocated with the memory manager, or already freed");
                std::memset(&s, 0, sizeof s);  // never free it
                nowBufs[i] = nullptr;
            } else if (!inOld(now)) {
                checkReturned(s, slot());  // a new value: terminator, size
            }
        }
    }
    for (size_t i = 0; i < total; ++i) {
        const void* old = oldBufs[i];
        if (old && !inNow(old) && mm().owns(old)) {
            violation(whereFn() + " slot " + std::to_string(i) + ": overwritten without FreeMemory of the old " +
                      std::string(vtName(oldVt[i])) + " buffer (leak)");
            mm().free(const_cast<void*>(old));
        }
    }
    for (size_t i = 0; i < total; ++i) {
        if (i < given) args[i].adopt(slots[i]);
        else freeVariant(slots[i]);
    }
    auto errs = platform_->errors();
    if (errs.size() > before) r.errors.assign(errs.begin() + long(before), errs.end());
    return r;
}

Variant LocalComponent::get(const std::string& prop, bool* ok) {
    long n = findProp(prop);
    Variant v;
    if (n < 0) {
        if (ok) *ok = false;
        return v;
    }
    tVariant t;
    std::memset(&t, 0, sizeof t);
    bool r = obj_->GetPropVal(n, &t);
    checkReturned(t, "GetPropVal(" + prop + ")");
    v.adopt(t);
    if (ok) *ok = r;
    return v;
}

bool LocalComponent::set(const std::string& prop, const Variant& v) {
    long n = findProp(prop);
    if (n < 0) return false;
    tVariant t = copyVariant(v.raw());
    const void* old = hasBuffer(t) ? bufferOf(t) : nullptr;
    bool r = obj_->SetPropVal(n, &t);
    const void* now = hasBuffer(t) ? bufferOf(t) : nullptr;
    if (old && now != old) violation("SetPropVal(" + prop + ") changed the value it was given");
    if (old && !mm().owns(old)) {
        violation("SetPropVal(" + prop + ") freed the value it was given");
        std::memset(&t, 0, sizeof t);
    }
    freeVariant(t);
    return r;
}

}  // namespace host
