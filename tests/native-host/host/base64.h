#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace host {
std::string base64Encode(const std::vector<uint8_t>& in);
std::vector<uint8_t> base64Decode(const std::string& in);
}  // namespace host
