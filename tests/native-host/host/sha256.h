#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace host {

class Sha256 {
public:
    Sha256();
    void update(const void* data, size_t n);
    std::string hexDigest();  // finalizes

private:
    void block(const uint8_t* p);
    uint32_t h_[8];
    uint8_t buf_[64];
    size_t bufLen_ = 0;
    uint64_t total_ = 0;
};

std::string sha256Hex(const void* data, size_t n);
inline std::string sha256Hex(const std::string& s) { return sha256Hex(s.data(), s.size()); }
inline std::string sha256Hex(const std::vector<uint8_t>& v) { return sha256Hex(v.data(), v.size()); }

}  // namespace host
