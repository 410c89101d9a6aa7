// A small ZIP reader: central directory (ZIP64 aware), stored and deflated entries, CRC check.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace host {

struct ZipEntry {
    std::string name;
    uint16_t method = 0;  // 0 stored, 8 deflated
    uint16_t flags = 0;
    uint32_t crc32 = 0;
    uint64_t compressedSize = 0;
    uint64_t size = 0;
    uint64_t localHeaderOffset = 0;
};

class ZipReader {
public:
    /// Reads the whole archive into memory; throws std::runtime_error on any problem.
    explicit ZipReader(const std::string& path);
    const std::vector<ZipEntry>& entries() const { return entries_; }
    /// Case-insensitive (ASCII) name lookup; nullptr if absent.
    const ZipEntry* find(const std::string& name) const;
    /// The entry's bytes (inflated, CRC checked); throws on error.
    std::vector<uint8_t> read(const ZipEntry& e) const;
    std::string readText(const std::string& name) const;

private:
    std::string path_;
    std::vector<uint8_t> data_;
    std::vector<ZipEntry> entries_;
};

/// Tells whether two names are equal ignoring ASCII case.
bool iequalsAscii(const std::string& a, const std::string& b);

}  // namespace host
