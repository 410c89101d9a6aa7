// An owning wrapper around tVariant whose strings and blobs live in the platform's memory
// manager, exactly as the platform's own values do (the add-in may FreeMemory them when it
// overwrites a by-ref slot).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "addin/types.h"

namespace host {

class Variant {
public:
    Variant();                    // EMPTY
    ~Variant();
    Variant(const Variant& o);    // deep copy
    Variant(Variant&& o) noexcept;
    Variant& operator=(const Variant& o);
    Variant& operator=(Variant&& o) noexcept;

    // Builders.
    static Variant empty();
    static Variant null();
    static Variant i4(int32_t v);
    static Variant i8(int64_t v);
    static Variant r8(double v);
    static Variant boolean(bool v);
    static Variant str(const std::string& utf8);       // PWSTR
    static Variant wstr(const std::u16string& utf16);  // PWSTR
    static Variant pstr(const std::string& bytes);     // PSTR (char*, byte length)
    static Variant blob(const std::vector<uint8_t>& bytes);
    static Variant blob(const std::string& bytes);
    static Variant date(double oleDate);
    static Variant tm(const struct tm& t);

    // Access.
    TYPEVAR vt() const { return v_.vt; }
    bool isEmpty() const { return v_.vt == VTYPE_EMPTY; }
    bool isNumber() const;
    bool isString() const { return v_.vt == VTYPE_PWSTR; }
    bool isBlob() const { return v_.vt == VTYPE_BLOB; }
    bool isBool() const { return v_.vt == VTYPE_BOOL; }
    double number() const;   // any numeric type; 0 otherwise
    int64_t integer() const; // any numeric type (rounded); 0 otherwise
    bool boolean() const;    // BOOL, or number != 0
    std::string str() const;        // PWSTR as UTF-8 ("" otherwise)
    std::u16string wstr() const;    // PWSTR as UTF-16
    std::vector<uint8_t> bytes() const;  // BLOB/PSTR bytes
    std::string describe(size_t maxChars = 80) const;  // "PWSTR \"...\"", "I4 5", for messages

    tVariant& raw() { return v_; }
    const tVariant& raw() const { return v_; }

    /// Give up ownership (the caller now owns any buffer) and become EMPTY.
    tVariant release();
    /// Free what we hold and take ownership of t's buffer (must come from MemoryManager).
    void adopt(const tVariant& t);
    void clear();

private:
    tVariant v_;
};

/// Frees a tVariant's buffer through the memory manager (PWSTR, PSTR, BLOB) and sets it EMPTY.
void freeVariant(tVariant& t);
/// Deep copy with buffers from the memory manager.
tVariant copyVariant(const tVariant& t);
const char* vtName(TYPEVAR vt);

// Short names for tests.
inline Variant S(const std::string& s) { return Variant::str(s); }
inline Variant I(int32_t v) { return Variant::i4(v); }
inline Variant D(double v) { return Variant::r8(v); }
inline Variant B(bool v) { return Variant::boolean(v); }
inline Variant E() { return Variant::empty(); }
inline Variant BLOB(const std::vector<uint8_t>& b) { return Variant::blob(b); }

}  // namespace host
