#include "wire.h"

#include <cstring>
#include <stdexcept>

#include "base64.h"
#include "memory.h"
#include "utf.h"

namespace host::wire {

namespace {

bool wellFormed(const char16_t* s, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        char16_t c = s[i];
        if (c >= 0xD800 && c <= 0xDBFF) {
            if (i + 1 >= n || s[i + 1] < 0xDC00 || s[i + 1] > 0xDFFF) return false;
            ++i;
        } else if (c >= 0xDC00 && c <= 0xDFFF) {
            return false;
        }
    }
    return true;
}

std::string b64(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    return base64Encode(std::vector<uint8_t>(b, b + n));
}

void* allocOrThrow(size_t bytes) {
    void* p = MemoryManager::instance().alloc(bytes ? bytes : 1);
    if (!p) throw std::bad_alloc();
    return p;
}

}  // namespace

json toJson(const tVariant& v) {
    json j;
    j["vt"] = v.vt;
    if (v.cbElements) j["cb"] = v.cbElements;
    switch (v.vt) {
        case VTYPE_EMPTY: case VTYPE_NULL: break;
        case VTYPE_I1: j["i"] = v.i8Val; break;
        case VTYPE_I2: j["i"] = v.shortVal; break;
        case VTYPE_I4: j["i"] = v.lVal; break;
        case VTYPE_INT: j["i"] = v.intVal; break;
        case VTYPE_ERROR: j["i"] = v.errCode; break;
        case VTYPE_HRESULT: j["i"] = (long long)v.hRes; break;
        case VTYPE_UI1: j["i"] = v.ui8Val; break;
        case VTYPE_UI2: j["i"] = v.ushortVal; break;
        case VTYPE_UI4: j["i"] = v.ulVal; break;
        case VTYPE_UINT: j["i"] = v.uintVal; break;
        case VTYPE_I8: j["i"] = (long long)v.llVal; break;
        case VTYPE_UI8: j["u"] = (unsigned long long)v.ullVal; break;
        case VTYPE_R4: j["d"] = v.fltVal; break;
        case VTYPE_R8: j["d"] = v.dblVal; break;
        case VTYPE_DATE: j["d"] = v.date; break;
        case VTYPE_BOOL: j["b"] = v.bVal; break;
        case VTYPE_TM: {
            const struct tm& t = v.tmVal;
            j["tm"] = {t.tm_sec, t.tm_min, t.tm_hour, t.tm_mday, t.tm_mon, t.tm_year, t.tm_wday, t.tm_yday, t.tm_isdst};
            break;
        }
        case VTYPE_PWSTR: {
            if (!v.pwstrVal) {
                j["p0"] = true;
                j["len"] = v.wstrLen;
                break;
            }
            const auto* s = reinterpret_cast<const char16_t*>(v.pwstrVal);
            if (wellFormed(s, v.wstrLen)) j["s"] = toUtf8(s, v.wstrLen);
            else j["w16"] = b64(s, size_t(v.wstrLen) * 2);
            break;
        }
        case VTYPE_PSTR: case VTYPE_BLOB:
            if (!v.pstrVal) {
                j["p0"] = true;
                j["len"] = v.strLen;
            } else {
                j["x"] = b64(v.pstrVal, v.strLen);
            }
            break;
        default:
            j["raw"] = b64(&v, 16);  // no pointer means anything in another process
            break;
    }
    return j;
}

Variant fromJson(const json& j) {
    Variant out;
    tVariant& v = out.raw();
    std::memset(&v, 0, sizeof v);
    v.vt = j.at("vt").get<TYPEVAR>();
    if (j.contains("cb")) v.cbElements = j["cb"].get<uint32_t>();
    auto i = [&] { return j.at("i").get<long long>(); };
    switch (v.vt) {
        case VTYPE_EMPTY: case VTYPE_NULL: break;
        case VTYPE_I1: v.i8Val = int8_t(i()); break;
        case VTYPE_I2: v.shortVal = int16_t(i()); break;
        case VTYPE_I4: v.lVal = int32_t(i()); break;
        case VTYPE_INT: v.intVal = int32_t(i()); break;
        case VTYPE_ERROR: v.errCode = int32_t(i()); break;
        case VTYPE_HRESULT: v.hRes = long(i()); break;
        case VTYPE_UI1: v.ui8Val = uint8_t(i()); break;
        case VTYPE_UI2: v.ushortVal = uint16_t(i()); break;
        case VTYPE_UI4: v.ulVal = uint32_t(i()); break;
        case VTYPE_UINT: v.uintVal = unsigned(i()); break;
        case VTYPE_I8: v.llVal = int64_t(i()); break;
        case VTYPE_UI8: v.ullVal = j.at("u").get<unsigned long long>(); break;
        case VTYPE_R4: v.fltVal = j.at("d").get<float>(); break;
        case VTYPE_R8: v.dblVal = j.at("d").get<double>(); break;
        case VTYPE_DATE: v.date = j.at("d").get<double>(); break;
        case VTYPE_BOOL: v.bVal = j.at("b").get<bool>(); break;
        case VTYPE_TM: {
            const json& t = j.at("tm");
            struct tm& m = v.tmVal;
            int* f[] = {&m.tm_sec, &m.tm_min, &m.tm_hour, &m.tm_mday, &m.tm_mon, &m.tm_year, &m.tm_wday, &m.tm_yday, &m.tm_isdst};
            for (size_t k = 0; k < 9; ++k) *f[k] = t.at(k).get<int>();
            break;
        }
        case VTYPE_PWSTR: {
            if (j.value("p0", false)) {
                v.wstrLen = j.value("len", 0u);
                break;
            }
            std::u16string s;
            if (j.contains("s")) {
                s = toUtf16(j["s"].get_ref<const std::string&>());
            } else {
                auto bytes = base64Decode(j.at("w16").get_ref<const std::string&>());
                s.resize(bytes.size() / 2);
                std::memcpy(&s[0], bytes.data(), s.size() * 2);
            }
            auto* p = static_cast<char16_t*>(allocOrThrow((s.size() + 1) * sizeof(char16_t)));
            std::memcpy(p, s.data(), s.size() * sizeof(char16_t));
            p[s.size()] = 0;
            v.pwstrVal = reinterpret_cast<WCHAR_T*>(p);
            v.wstrLen = uint32_t(s.size());
            break;
        }
        case VTYPE_PSTR: case VTYPE_BLOB: {
            if (j.value("p0", false)) {
                v.strLen = j.value("len", 0u);
                break;
            }
            auto bytes = base64Decode(j.at("x").get_ref<const std::string&>());
            // A PSTR keeps a terminator after its bytes, as Variant::pstr makes it.
            size_t extra = v.vt == VTYPE_PSTR ? 1 : 0;
            auto* p = static_cast<char*>(allocOrThrow(bytes.size() + extra));
            if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
            if (extra) p[bytes.size()] = 0;
            v.pstrVal = p;
            v.strLen = uint32_t(bytes.size());
            break;
        }
        default:
            if (j.contains("raw")) {
                auto bytes = base64Decode(j["raw"].get_ref<const std::string&>());
                std::memcpy(&v, bytes.data(), std::min(bytes.size(), size_t(16)));
            }
            break;
    }
    return out;
}

json toJson(const CallResult& r) {
    json e = json::array();
    for (auto& x : r.errors) e.push_back({{"code", x.code}, {"source", x.source}, {"descr", x.descr}, {"scode", (long long)x.scode}});
    return {{"found", r.found}, {"called", r.called}, {"ok", r.ok}, {"missingArgs", r.missingArgs},
            {"ret", toJson(r.ret.raw())}, {"errors", e}};
}

CallResult callResultFromJson(const json& j) {
    CallResult r;
    r.found = j.at("found").get<bool>();
    r.called = j.at("called").get<bool>();
    r.ok = j.at("ok").get<bool>();
    r.missingArgs = j.at("missingArgs").get<bool>();
    r.ret = fromJson(j.at("ret"));
    for (auto& e : j.at("errors"))
        r.errors.push_back({e.at("code").get<unsigned short>(), e.at("source").get<std::string>(),
                            e.at("descr").get<std::string>(), long(e.at("scode").get<long long>())});
    return r;
}

json toJson(const ComponentOptions& o) {
    return {{"className", o.className},
            {"locale", o.locale},
            {"language", o.language},
            {"memManagerFirst", o.memManagerFirst},
            {"provideInterfaces", o.provideInterfaces},
            {"callGetInfo", o.callGetInfo},
            {"callRegisterExtensionAs", o.callRegisterExtensionAs},
            {"attached", int(o.attached)},
            {"application", int(o.application)}};
}

ComponentOptions optionsFromJson(const json& j) {
    ComponentOptions o;
    o.className = j.value("className", o.className);
    o.locale = j.value("locale", o.locale);
    o.language = j.value("language", o.language);
    o.memManagerFirst = j.value("memManagerFirst", o.memManagerFirst);
    o.provideInterfaces = j.value("provideInterfaces", o.provideInterfaces);
    o.callGetInfo = j.value("callGetInfo", o.callGetInfo);
    o.callRegisterExtensionAs = j.value("callRegisterExtensionAs", o.callRegisterExtensionAs);
    o.attached = IAttachedInfo::AttachedType(j.value("attached", int(o.attached)));
    o.application = IPlatformInfo::AppType(j.value("application", int(o.application)));
    return o;
}

}  // namespace host::wire
