// The line protocol between the tests (Linux) and the Windows host under Wine (windows/README.md
// of tests/native-host): values, call results and options as JSON, exactly, both ways.
#pragma once
#include <nlohmann/json.hpp>

#include "backend.h"
#include "variant.h"

namespace host::wire {

using json = nlohmann::json;

/// {"vt": code, ...}: "i" integers, "u" UI8, "d" R4/R8/DATE, "b" BOOL, "tm" the 9 fields of
/// struct tm, "s" a PWSTR as UTF-8 when its UTF-16 is well-formed, else "w16" its UTF-16LE units
/// in base64 (lone surrogates survive), "x" PSTR/BLOB bytes in base64, "p0" a null pointer,
/// "raw" the first bytes of the union for anything else, "cb" cbElements when not 0.
json toJson(const tVariant& v);
/// The value with its buffers from this process's memory manager (as the platform's own).
Variant fromJson(const json& j);

json toJson(const CallResult& r);
CallResult callResultFromJson(const json& j);

json toJson(const ComponentOptions& o);
ComponentOptions optionsFromJson(const json& j);

}  // namespace host::wire
