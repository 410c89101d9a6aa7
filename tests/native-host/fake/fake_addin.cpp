// A tiny fake add-in implementing the Native API with the SDK's own class layout. It is the
// harness's self-test subject (the real tests target dist/WebSocket.zip).
#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "addin/addin.h"

#ifdef _WIN32
#define EXPORT extern "C" __declspec(dllexport)
#else
#define EXPORT extern "C" __attribute__((visibility("default")))
#endif

namespace {

std::u16string lower(const std::u16string& s) {
    std::u16string r = s;
    for (auto& c : r) {
        if (c >= u'A' && c <= u'Z') c = char16_t(c + 32);
        else if (c >= 0x410 && c <= 0x42F) c = char16_t(c + 0x20);
        else if (c == 0x401) c = 0x451;
    }
    return r;
}

struct Name {
    const char16_t* en;
    const char16_t* ru;
    long params;
    bool func;
};

const Name kMethods[] = {
    {u"Echo", u"Эхо", 1, true},
    {u"Swap", u"Поменять", 2, false},
    {u"SetRef", u"УстановитьСсылку", 2, true},
    {u"Fail", u"Ошибка", 1, true},
    {u"Fire", u"Событие", 1, true},
    {u"ErrorDescription", u"ОписаниеОшибки", 0, true},
    {u"Leak", u"Утечка", 1, true},
};
const Name kProps[] = {
    {u"Value", u"Значение", 0, false},
    {u"Port", u"Порт", 0, false},
};

std::atomic<int> gCapabilities{-1};

class Fake final : public IComponentBase {
public:
    ADDIN_DESTRUCTOR_OVERRIDE(Fake) {
        for (auto& t : threads_) t.join();
    }
    bool ADDIN_API Init(void* disp) override {
        conn_ = static_cast<IAddInDefBase*>(disp);
        return conn_ != nullptr;
    }
    bool ADDIN_API setMemManager(void* mem) override {
        mem_ = static_cast<IMemoryManager*>(mem);
        return mem_ != nullptr;
    }
    long ADDIN_API GetInfo() override { return 2000; }
    void ADDIN_API Done() override {
        for (auto& t : threads_) t.join();
        threads_.clear();
        conn_ = nullptr;
    }
    bool ADDIN_API RegisterExtensionAs(WCHAR_T** name) override { return alloc(u"Fake", name); }
    long ADDIN_API GetNProps() override { return 2; }
    long ADDIN_API FindProp(const WCHAR_T* name) override { return find(kProps, 2, name); }
    const WCHAR_T* ADDIN_API GetPropName(long n, long alias) override {
        if (n < 0 || n >= 2) return nullptr;
        WCHAR_T* out = nullptr;
        alloc(alias ? kProps[n].ru : kProps[n].en, &out);
        return out;
    }
    bool ADDIN_API GetPropVal(const long n, tVariant* v) override {
        if (n == 0) return setString(v, value_);
        if (n == 1) { v->vt = VTYPE_I4; v->lVal = 42; return true; }
        return false;
    }
    bool ADDIN_API SetPropVal(const long n, tVariant* v) override {
        if (n != 0 || v->vt != VTYPE_PWSTR) return false;
        value_.assign(reinterpret_cast<const char16_t*>(v->pwstrVal), v->wstrLen);
        return true;
    }
    bool ADDIN_API IsPropReadable(const long) override { return true; }
    bool ADDIN_API IsPropWritable(const long n) override { return n == 0; }
    long ADDIN_API GetNMethods() override { return long(sizeof kMethods / sizeof kMethods[0]); }
    long ADDIN_API FindMethod(const WCHAR_T* name) override { return find(kMethods, GetNMethods(), name); }
    const WCHAR_T* ADDIN_API GetMethodName(const long n, const long alias) override {
        if (n < 0 || n >= GetNMethods()) return nullptr;
        WCHAR_T* out = nullptr;
        alloc(alias ? kMethods[n].ru : kMethods[n].en, &out);
        return out;
    }
    long ADDIN_API GetNParams(const long n) override { return (n >= 0 && n < GetNMethods()) ? kMethods[n].params : 0; }
    bool ADDIN_API GetParamDefValue(const long m, const long p, tVariant* v) override {
        if (m == 3 && p == 0) return setString(v, u"boom");  // Fail(Text = "boom")
        return false;
    }
    bool ADDIN_API HasRetVal(const long n) override { return n >= 0 && n < GetNMethods() && kMethods[n].func; }
    bool ADDIN_API CallAsProc(const long m, tVariant* p, const long n) override {
        tVariant ret;
        std::memset(&ret, 0, sizeof ret);
        bool ok = CallAsFunc(m, &ret, p, n);
        free(&ret);
        return ok;
    }
    bool ADDIN_API CallAsFunc(const long m, tVariant* ret, tVariant* p, const long n) override {
        if (m < 0 || m >= GetNMethods() || n != kMethods[m].params) {
            return fail(u"<bad cast>: wrong number of parameters");
        }
        switch (m) {
            case 0:  // Echo
                return copy(&p[0], ret);
            case 1: {  // Swap
                tVariant t = p[0];
                p[0] = p[1];
                p[1] = t;
                return true;
            }
            case 2: {  // SetRef(value, out): allocate new first, then free the old one
                tVariant fresh;
                std::memset(&fresh, 0, sizeof fresh);
                if (!copy(&p[0], &fresh)) return false;
                free(&p[1]);
                p[1] = fresh;
                ret->vt = VTYPE_BOOL;
                ret->bVal = true;
                return true;
            }
            case 3: {  // Fail(text)
                if (p[0].vt != VTYPE_PWSTR) return fail(u"<bad cast>: параметр 1 (Текст) ожидается Строка");
                std::u16string t(reinterpret_cast<const char16_t*>(p[0].pwstrVal), p[0].wstrLen);
                if (lang_ == u"ru") t = u"Ошибка: " + t;
                return fail(t.c_str());
            }
            case 4: {  // Fire(count): ExternalEvent from a background thread
                if (p[0].vt != VTYPE_I4) return fail(u"<bad cast>");
                int count = p[0].lVal;
                IAddInDefBase* conn = conn_;
                threads_.emplace_back([conn, count] {
                    for (int i = 0; i < count; ++i) {
                        std::u16string d = u"e" + std::u16string(1, char16_t(u'0' + i % 10));
                        conn->ExternalEvent(const_cast<WCHAR_T*>(reinterpret_cast<const WCHAR_T*>(u"Fake")),
                                            const_cast<WCHAR_T*>(reinterpret_cast<const WCHAR_T*>(u"Tick")),
                                            const_cast<WCHAR_T*>(reinterpret_cast<const WCHAR_T*>(d.c_str())));
                    }
                });
                ret->vt = VTYPE_BOOL;
                ret->bVal = true;
                return true;
            }
            case 5:  // ErrorDescription
                return setString(ret, lastError_);
            case 6:  // Leak: overwrite slot 0 without freeing (a deliberate ABI violation)
                return setString(&p[0], u"leaked");
        }
        return false;
    }
    void ADDIN_API SetLocale(const WCHAR_T* loc) override { locale_ = reinterpret_cast<const char16_t*>(loc); }
    void ADDIN_API SetUserInterfaceLanguageCode(const WCHAR_T* lang) override {
        lang_ = reinterpret_cast<const char16_t*>(lang);
    }

private:
    template <size_t N>
    long find(const Name (&names)[N], long count, const WCHAR_T* name) {
        std::u16string n = lower(reinterpret_cast<const char16_t*>(name));
        for (long i = 0; i < count; ++i)
            if (lower(names[i].en) == n || lower(names[i].ru) == n) return i;
        return -1;
    }
    bool alloc(const std::u16string& s, WCHAR_T** out) {
        void* p = nullptr;
        if (!mem_ || !mem_->AllocMemory(&p, (unsigned long)((s.size() + 1) * 2))) return false;
        std::memcpy(p, s.c_str(), (s.size() + 1) * 2);
        *out = static_cast<WCHAR_T*>(p);
        return true;
    }
    bool setString(tVariant* v, const std::u16string& s) {
        WCHAR_T* p = nullptr;
        if (!alloc(s, &p)) return false;
        v->pwstrVal = p;
        v->wstrLen = uint32_t(s.size());
        v->vt = VTYPE_PWSTR;
        return true;
    }
    bool copy(const tVariant* from, tVariant* to) {
        if (from->vt == VTYPE_PWSTR) {
            return setString(to, std::u16string(reinterpret_cast<const char16_t*>(from->pwstrVal), from->wstrLen));
        }
        if (from->vt == VTYPE_BLOB) {
            void* p = nullptr;
            if (!mem_->AllocMemory(&p, from->strLen ? from->strLen : 1)) return false;
            std::memcpy(p, from->pstrVal, from->strLen);
            to->pstrVal = static_cast<char*>(p);
            to->strLen = from->strLen;
            to->vt = VTYPE_BLOB;
            return true;
        }
        *to = *from;
        return true;
    }
    void free(tVariant* v) {
        if ((v->vt == VTYPE_PWSTR || v->vt == VTYPE_BLOB || v->vt == VTYPE_PSTR) && v->pstrVal) {
            void* p = v->pstrVal;
            mem_->FreeMemory(&p);
        }
        v->vt = VTYPE_EMPTY;
    }
    bool fail(const char16_t* text) {
        lastError_ = text;
        if (conn_) conn_->AddError(1006, reinterpret_cast<const WCHAR_T*>(u"Fake"), reinterpret_cast<const WCHAR_T*>(text), 1);
        return false;
    }

    IAddInDefBase* conn_ = nullptr;
    IMemoryManager* mem_ = nullptr;
    std::u16string value_ = u"начало", lastError_, locale_, lang_;
    std::vector<std::thread> threads_;
};

}  // namespace

EXPORT const WCHAR_T* GetClassNames() { return reinterpret_cast<const WCHAR_T*>(u"Server|Client"); }

EXPORT long GetClassObject(const WCHAR_T* name, IComponentBase** out) {
    if (!out || *out) return 0;
    std::u16string n = lower(reinterpret_cast<const char16_t*>(name));
    if (n != u"server" && n != u"client") return 0;
    *out = new Fake();
    return 1;
}

EXPORT long DestroyObject(IComponentBase** obj) {
    if (!obj || !*obj) return -1;
    delete static_cast<Fake*>(*obj);  // every object is a Fake (and with destructor placeholders none is virtual)
    *obj = nullptr;
    return 0;
}

EXPORT AppCapabilities SetPlatformCapabilities(const AppCapabilities c) {
    gCapabilities = c;
    return eAppCapabilitiesLast;
}

EXPORT AttachType GetAttachType() { return eCanAttachAny; }

// For the self-test: what SetPlatformCapabilities received.
EXPORT int FakeCapabilitiesSeen() { return gCapabilities; }
