#include "variant.h"

#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "memory.h"
#include "utf.h"

namespace host {

static MemoryManager& mm() { return MemoryManager::instance(); }

const char* vtName(TYPEVAR vt) {
    static const char* names[] = {"EMPTY", "NULL", "I2", "I4", "R4", "R8", "DATE", "TM",
                                  "PSTR", "INTERFACE", "ERROR", "BOOL", "VARIANT", "I1", "UI1",
                                  "UI2", "UI4", "I8", "UI8", "INT", "UINT", "HRESULT", "PWSTR",
                                  "BLOB", "CLSID"};
    if (vt < sizeof(names) / sizeof(names[0])) return names[vt];
    return "?";
}

void freeVariant(tVariant& t) {
    switch (t.vt) {
        case VTYPE_PWSTR:
            if (t.pwstrVal) mm().free(t.pwstrVal);
            break;
        case VTYPE_PSTR:
        case VTYPE_BLOB:
            if (t.pstrVal) mm().free(t.pstrVal);
            break;
        default:
            break;
    }
    std::memset(&t, 0, sizeof t);
    t.vt = VTYPE_EMPTY;
}

tVariant copyVariant(const tVariant& t) {
    tVariant r;
    std::memcpy(&r, &t, sizeof r);
    if (t.vt == VTYPE_PWSTR && t.pwstrVal) {
        size_t bytes = (size_t(t.wstrLen) + 1) * sizeof(char16_t);
        auto* p = static_cast<char16_t*>(mm().alloc(bytes));
        std::memcpy(p, t.pwstrVal, size_t(t.wstrLen) * sizeof(char16_t));
        p[t.wstrLen] = 0;
        r.pwstrVal = reinterpret_cast<WCHAR_T*>(p);
    } else if ((t.vt == VTYPE_PSTR || t.vt == VTYPE_BLOB) && t.pstrVal) {
        size_t bytes = size_t(t.strLen) + (t.vt == VTYPE_PSTR ? 1 : 0);
        auto* p = static_cast<char*>(mm().alloc(bytes ? bytes : 1));
        std::memcpy(p, t.pstrVal, t.strLen);
        if (t.vt == VTYPE_PSTR) p[t.strLen] = 0;
        r.pstrVal = p;
    }
    return r;
}

Variant::Variant() { std::memset(&v_, 0, sizeof v_); v_.vt = VTYPE_EMPTY; }
Variant::~Variant() { freeVariant(v_); }
Variant::Variant(const Variant& o) { v_ = copyVariant(o.v_); }
Variant::Variant(Variant&& o) noexcept {
    std::memcpy(&v_, &o.v_, sizeof v_);
    std::memset(&o.v_, 0, sizeof o.v_);
}
Variant& Variant::operator=(const Variant& o) {
    if (this != &o) {
        tVariant c = copyVariant(o.v_);
        freeVariant(v_);
        v_ = c;
    }
    return *this;
}
Variant& Variant::operator=(Variant&& o) noexcept {
    if (this != &o) {
        freeVariant(v_);
        std::memcpy(&v_, &o.v_, sizeof v_);
        std::memset(&o.v_, 0, sizeof o.v_);
    }
    return *this;
}

Variant Variant::empty() { return Variant(); }
Variant Variant::null() { Variant v; v.v_.vt = VTYPE_NULL; return v; }
Variant Variant::i4(int32_t x) { Variant v; v.v_.lVal = x; v.v_.vt = VTYPE_I4; return v; }
Variant Variant::i8(int64_t x) { Variant v; v.v_.llVal = x; v.v_.vt = VTYPE_I8; return v; }
Variant Variant::r8(double x) { Variant v; v.v_.dblVal = x; v.v_.vt = VTYPE_R8; return v; }
Variant Variant::boolean(bool x) { Variant v; v.v_.bVal = x; v.v_.vt = VTYPE_BOOL; return v; }
Variant Variant::date(double x) { Variant v; v.v_.date = x; v.v_.vt = VTYPE_DATE; return v; }
Variant Variant::tm(const struct tm& t) { Variant v; v.v_.tmVal = t; v.v_.vt = VTYPE_TM; return v; }

Variant Variant::wstr(const std::u16string& s) {
    Variant v;
    auto* p = static_cast<char16_t*>(mm().alloc((s.size() + 1) * sizeof(char16_t)));
    if (!p) throw std::bad_alloc();
    std::memcpy(p, s.data(), s.size() * sizeof(char16_t));
    p[s.size()] = 0;
    v.v_.pwstrVal = reinterpret_cast<WCHAR_T*>(p);
    v.v_.wstrLen = uint32_t(s.size());
    v.v_.vt = VTYPE_PWSTR;
    return v;
}
Variant Variant::str(const std::string& s) { return wstr(toUtf16(s)); }

Variant Variant::pstr(const std::string& s) {
    Variant v;
    auto* p = static_cast<char*>(mm().alloc(s.size() + 1));
    std::memcpy(p, s.data(), s.size());
    p[s.size()] = 0;
    v.v_.pstrVal = p;
    v.v_.strLen = uint32_t(s.size());
    v.v_.vt = VTYPE_PSTR;
    return v;
}

Variant Variant::blob(const std::vector<uint8_t>& b) {
    Variant v;
    auto* p = static_cast<char*>(mm().alloc(b.empty() ? 1 : b.size()));
    if (!p) throw std::bad_alloc();
    if (!b.empty()) std::memcpy(p, b.data(), b.size());
    v.v_.pstrVal = p;
    v.v_.strLen = uint32_t(b.size());
    v.v_.vt = VTYPE_BLOB;
    return v;
}
Variant Variant::blob(const std::string& b) {
    return blob(std::vector<uint8_t>(b.begin(), b.end()));
}

bool Variant::isNumber() const {
    switch (v_.vt) {
        case VTYPE_I1: case VTYPE_I2: case VTYPE_I4: case VTYPE_I8: case VTYPE_UI1:
        case VTYPE_UI2: case VTYPE_UI4: case VTYPE_UI8: case VTYPE_INT: case VTYPE_UINT:
        case VTYPE_R4: case VTYPE_R8:
            return true;
        default:
            return false;
    }
}

double Variant::number() const {
    switch (v_.vt) {
        case VTYPE_I1: return v_.i8Val;
        case VTYPE_I2: return v_.shortVal;
        case VTYPE_I4: return v_.lVal;
        case VTYPE_INT: return v_.intVal;
        case VTYPE_I8: return double(v_.llVal);
        case VTYPE_UI1: return v_.ui8Val;
        case VTYPE_UI2: return v_.ushortVal;
        case VTYPE_UI4: return v_.ulVal;
        case VTYPE_UINT: return v_.uintVal;
        case VTYPE_UI8: return double(v_.ullVal);
        case VTYPE_R4: return v_.fltVal;
        case VTYPE_R8: return v_.dblVal;
        case VTYPE_BOOL: return v_.bVal ? 1 : 0;
        default: return 0;
    }
}

int64_t Variant::integer() const {
    if (v_.vt == VTYPE_I8) return v_.llVal;
    if (v_.vt == VTYPE_UI8) return int64_t(v_.ullVal);
    return int64_t(std::llround(number()));
}

bool Variant::boolean() const {
    if (v_.vt == VTYPE_BOOL) return v_.bVal;
    return number() != 0;
}

std::u16string Variant::wstr() const {
    if (v_.vt != VTYPE_PWSTR || !v_.pwstrVal) return {};
    return std::u16string(reinterpret_cast<const char16_t*>(v_.pwstrVal), v_.wstrLen);
}

std::string Variant::str() const {
    if (v_.vt != VTYPE_PWSTR || !v_.pwstrVal) return {};
    return toUtf8(reinterpret_cast<const char16_t*>(v_.pwstrVal), v_.wstrLen);
}

std::vector<uint8_t> Variant::bytes() const {
    if ((v_.vt != VTYPE_BLOB && v_.vt != VTYPE_PSTR) || !v_.pstrVal) return {};
    auto* p = reinterpret_cast<const uint8_t*>(v_.pstrVal);
    return std::vector<uint8_t>(p, p + v_.strLen);
}

std::string Variant::describe(size_t maxChars) const {
    std::ostringstream s;
    s << vtName(v_.vt);
    switch (v_.vt) {
        case VTYPE_PWSTR: {
            std::string t = str();
            s << "(len " << v_.wstrLen << ") \"" << (t.size() > maxChars ? t.substr(0, maxChars) + "..." : t) << "\"";
            break;
        }
        case VTYPE_BLOB: case VTYPE_PSTR: s << "(" << v_.strLen << " bytes)"; break;
        case VTYPE_BOOL: s << " " << (v_.bVal ? "true" : "false"); break;
        case VTYPE_EMPTY: case VTYPE_NULL: break;
        default: if (isNumber()) s << " " << number(); break;
    }
    return s.str();
}

tVariant Variant::release() {
    tVariant r = v_;
    std::memset(&v_, 0, sizeof v_);
    v_.vt = VTYPE_EMPTY;
    return r;
}

void Variant::adopt(const tVariant& t) {
    if (&t == &v_) return;
    freeVariant(v_);
    std::memcpy(&v_, &t, sizeof v_);
}

void Variant::clear() { freeVariant(v_); }

}  // namespace host
