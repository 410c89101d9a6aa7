// UTF-8 <-> UTF-16 conversion (WCHAR_T is UTF-16 on every platform the add-in runs on).
#pragma once
#include <cstddef>
#include <string>

namespace host {

/// UTF-16 (possibly with unpaired surrogates: replaced by U+FFFD) to UTF-8.
std::string toUtf8(const char16_t* s, size_t n);
std::string toUtf8(const std::u16string& s);
/// Null-terminated UTF-16 to UTF-8 (null pointer gives "").
std::string toUtf8(const char16_t* s);
/// UTF-8 (invalid bytes become U+FFFD) to UTF-16.
std::u16string toUtf16(const std::string& s);

size_t u16len(const char16_t* s);

}  // namespace host
