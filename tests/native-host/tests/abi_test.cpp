// The Linux x86_64 facts of /work/shared/native-api.md, checked against a real C++ compiler
// with the SDK's own declarations (include/addin).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "addin/addin.h"
#include "addin/empty_component.h"

// ---- compile-time facts -----------------------------------------------------------------------
static_assert(sizeof(void*) == 8, "x86_64 only");
static_assert(sizeof(long) == 8, "C long is 8 bytes on Linux x86_64");
static_assert(sizeof(unsigned long) == 8, "C unsigned long is 8 bytes on Linux x86_64");
static_assert(sizeof(bool) == 1, "bool is 1 byte");
static_assert(sizeof(WCHAR_T) == 2, "WCHAR_T is UTF-16");
static_assert(sizeof(struct tm) == 56, "glibc struct tm");
static_assert(sizeof(tVariant) == 64, "sizeof(tVariant) on Linux x86_64");
static_assert(alignof(tVariant) == 8, "tVariant is 8-byte aligned");
static_assert(offsetof(tVariant, cbElements) == 56, "cbElements at 56");
static_assert(offsetof(tVariant, vt) == 60, "vt at 60");
static_assert(offsetof(tVariant, pwstrVal) == 0, "pwstrVal at 0");
static_assert(offsetof(tVariant, wstrLen) == 8, "wstrLen right after the pointer");
static_assert(offsetof(tVariant, pstrVal) == 0, "pstrVal at 0");
static_assert(offsetof(tVariant, strLen) == 8, "strLen right after the pointer");
static_assert(offsetof(tVariant, lVal) == 0 && offsetof(tVariant, dblVal) == 0 && offsetof(tVariant, llVal) == 0 &&
                  offsetof(tVariant, bVal) == 0 && offsetof(tVariant, tmVal) == 0,
              "scalars at 0");
static_assert(sizeof(TYPEVAR) == 2, "vt is 16-bit");
static_assert(sizeof(IID) == 16, "IID is 16 bytes");
static_assert(sizeof(IPlatformInfo::AppInfo) == 24, "AppInfo: two pointers and an int, padded");
static_assert(offsetof(IPlatformInfo::AppInfo, Application) == 16, "AppInfo::Application at 16");
static_assert(sizeof(AppCapabilities) == 4 && sizeof(AttachType) == 4 && sizeof(Interfaces) == 4, "enums are int");
static_assert(sizeof(IPlatformInfo) == 8 && sizeof(IAttachedInfo) == 8 && sizeof(IMsgBox) == 8, "one vptr");
static_assert(VTYPE_PWSTR == 22 && VTYPE_BLOB == 23 && VTYPE_BOOL == 11 && VTYPE_I4 == 3 && VTYPE_R8 == 5 &&
                  VTYPE_TM == 7 && VTYPE_I8 == 17 && VTYPE_EMPTY == 0 && VTYPE_NULL == 1 && VTYPE_CLSID == 24,
              "type codes");

namespace {

// A complete component, to measure the object the platform holds; it records what the calls
// through the raw vtables passed.
class Impl final : public EmptyComponent {
public:
    bool ADDIN_API CallAsFunc(const long m, tVariant* ret, tVariant* params, const long n) override {
        lastMethod = m;
        lastParams = params;
        lastCount = n;
        ret->vt = VTYPE_I4;
        ret->lVal = 77;
        return true;
    }
    void ADDIN_API SetLocale(const WCHAR_T* loc) override { locale = loc; }
    void ADDIN_API SetUserInterfaceLanguageCode(const WCHAR_T* lang) override { language = lang; }

    long lastMethod = -1, lastCount = -1;
    tVariant* lastParams = nullptr;
    const WCHAR_T* locale = nullptr;
    const WCHAR_T* language = nullptr;
};

// Itanium C++ ABI: a pointer to a virtual member function holds 1 + the byte offset of its
// slot from the vtable's address point.
template <class F>
long slotOf(F f) {
    static_assert(sizeof(F) == 2 * sizeof(void*), "Itanium member function pointer");
    uintptr_t raw[2];
    std::memcpy(raw, &f, sizeof raw);
    if ((raw[0] & 1) == 0) return -1;  // not virtual
    return long((raw[0] - 1) / sizeof(void*));
}

template <class Base>
ptrdiff_t baseOffset(Impl* p) {
    return reinterpret_cast<char*>(static_cast<Base*>(p)) - reinterpret_cast<char*>(p);
}

}  // namespace

using Empty = EmptyComponent;
static_assert(sizeof(IComponentBase) == 32, "IComponentBase: four vtable pointers");
static_assert(sizeof(Empty) == 32, "a component without data members: four vtable pointers");

TEST(Abi, ComponentObjectIsFourVtablePointers) {
    EXPECT_EQ(sizeof(Empty), 4 * sizeof(void*));
    Impl obj;
    EXPECT_EQ(baseOffset<IInitDoneBase>(&obj), 0);
    EXPECT_EQ(baseOffset<ILanguageExtenderBase>(&obj), 8);
    EXPECT_EQ(baseOffset<LocaleBase>(&obj), 16);
    EXPECT_EQ(baseOffset<UserLanguageBase>(&obj), 24);
}

TEST(Abi, ComponentVtableSlots) {
    // Two destructor slots (complete, deleting) head each vtable on the Itanium ABI.
    EXPECT_EQ(slotOf(&IInitDoneBase::Init), 2);
    EXPECT_EQ(slotOf(&IInitDoneBase::setMemManager), 3);
    EXPECT_EQ(slotOf(&IInitDoneBase::GetInfo), 4);
    EXPECT_EQ(slotOf(&IInitDoneBase::Done), 5);

    EXPECT_EQ(slotOf(&ILanguageExtenderBase::RegisterExtensionAs), 2);
    EXPECT_EQ(slotOf(&ILanguageExtenderBase::GetNProps), 3);
    EXPECT_EQ(slotOf(&ILanguageExtenderBase::FindProp), 4);
    EXPECT_EQ(slotOf(&ILanguageExtenderBase::GetPropName), 5);
    EXPECT_EQ(slotOf(&ILanguageExtenderBase::GetPropVal), 6);
    EXPECT_EQ(slotOf(&ILanguageExtenderBase::SetPropVal), 7);
    EXPECT_EQ(slotOf(&ILanguageExtenderBase::IsPropReadable), 8);
    EXPECT_EQ(slotOf(&ILanguageExtenderBase::IsPropWritable), 9);
    EXPECT_EQ(slotOf(&ILanguageExtenderBase::GetNMethods), 10);
    EXPECT_EQ(slotOf(&ILanguageExtenderBase::FindMethod), 11);
    EXPECT_EQ(slotOf(&ILanguageExtenderBase::GetMethodName), 12);
    EXPECT_EQ(slotOf(&ILanguageExtenderBase::GetNParams), 13);
    EXPECT_EQ(slotOf(&ILanguageExtenderBase::GetParamDefValue), 14);
    EXPECT_EQ(slotOf(&ILanguageExtenderBase::HasRetVal), 15);
    EXPECT_EQ(slotOf(&ILanguageExtenderBase::CallAsProc), 16);
    EXPECT_EQ(slotOf(&ILanguageExtenderBase::CallAsFunc), 17);

    EXPECT_EQ(slotOf(&LocaleBase::SetLocale), 2);
    EXPECT_EQ(slotOf(&UserLanguageBase::SetUserInterfaceLanguageCode), 2);
}

TEST(Abi, PlatformVtableSlots) {
    EXPECT_EQ(slotOf(&IAddInDefBase::AddError), 2);
    EXPECT_EQ(slotOf(&IAddInDefBase::Read), 3);
    EXPECT_EQ(slotOf(&IAddInDefBase::Write), 4);
    EXPECT_EQ(slotOf(&IAddInDefBase::RegisterProfileAs), 5);
    EXPECT_EQ(slotOf(&IAddInDefBase::SetEventBufferDepth), 6);
    EXPECT_EQ(slotOf(&IAddInDefBase::GetEventBufferDepth), 7);
    EXPECT_EQ(slotOf(&IAddInDefBase::ExternalEvent), 8);
    EXPECT_EQ(slotOf(&IAddInDefBase::CleanEventBuffer), 9);
    EXPECT_EQ(slotOf(&IAddInDefBase::SetStatusLine), 10);
    EXPECT_EQ(slotOf(&IAddInDefBase::ResetStatusLine), 11);
    EXPECT_EQ(slotOf(&IAddInDefBaseEx::GetInterface), 12);

    EXPECT_EQ(slotOf(&IMemoryManager::AllocMemory), 2);
    EXPECT_EQ(slotOf(&IMemoryManager::FreeMemory), 3);

    // No destructor in these three.
    EXPECT_EQ(slotOf(&IMsgBox::Confirm), 0);
    EXPECT_EQ(slotOf(&IMsgBox::Alert), 1);
    EXPECT_EQ(slotOf(&IPlatformInfo::GetPlatformInfo), 0);
    EXPECT_EQ(slotOf(&IAttachedInfo::GetAttachedInfo), 0);
}

// What the platform (and the C# side) does: take vptr #1 at object + 8, call slot 17 with
// `this` = object + 8, and the callee recovers the object.
TEST(Abi, CallThroughRawVtableLikeThePlatform) {
    Impl obj;
    void* object = static_cast<IComponentBase*>(&obj);
    void* base1 = static_cast<char*>(object) + 1 * sizeof(void*);
    void** vtable1 = *static_cast<void***>(base1);
    using CallAsFuncFn = bool (*)(void* self, long m, tVariant* ret, tVariant* params, long n);
    tVariant params[2];
    std::memset(params, 0, sizeof params);
    tVariant ret;
    std::memset(&ret, 0, sizeof ret);
    bool ok = reinterpret_cast<CallAsFuncFn>(vtable1[17])(base1, 5, &ret, params, 2);
    EXPECT_TRUE(ok);
    EXPECT_EQ(obj.lastMethod, 5);
    EXPECT_EQ(obj.lastParams, params);
    EXPECT_EQ(obj.lastCount, 2);
    EXPECT_EQ(ret.vt, VTYPE_I4);
    EXPECT_EQ(ret.lVal, 77);

    // Base #2 (LocaleBase) at object + 16, slot 2.
    void* base2 = static_cast<char*>(object) + 2 * sizeof(void*);
    void** vtable2 = *static_cast<void***>(base2);
    using SetLocaleFn = void (*)(void* self, const WCHAR_T*);
    const WCHAR_T* loc = reinterpret_cast<const WCHAR_T*>(u"ru_RU");
    reinterpret_cast<SetLocaleFn>(vtable2[2])(base2, loc);
    EXPECT_EQ(obj.locale, loc);

    // Base #3 (UserLanguageBase) at object + 24, slot 2.
    void* base3 = static_cast<char*>(object) + 3 * sizeof(void*);
    void** vtable3 = *static_cast<void***>(base3);
    const WCHAR_T* lang = reinterpret_cast<const WCHAR_T*>(u"ru");
    reinterpret_cast<SetLocaleFn>(vtable3[2])(base3, lang);
    EXPECT_EQ(obj.language, lang);
}

TEST(Abi, VariantStringLengthFollowsPointer) {
    tVariant v;
    std::memset(&v, 0, sizeof v);
    char16_t text[] = u"Привет";
    v.pwstrVal = reinterpret_cast<WCHAR_T*>(text);
    v.wstrLen = 6;
    v.vt = VTYPE_PWSTR;
    const unsigned char* raw = reinterpret_cast<const unsigned char*>(&v);
    void* p;
    std::memcpy(&p, raw, 8);
    uint32_t len;
    std::memcpy(&len, raw + 8, 4);
    uint16_t vt;
    std::memcpy(&vt, raw + 60, 2);
    EXPECT_EQ(p, text);
    EXPECT_EQ(len, 6u);
    EXPECT_EQ(vt, 22);
}
