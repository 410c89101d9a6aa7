#include "zip.h"

#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

#ifdef _WIN32
#include "utf.h"
#endif

namespace host {

namespace {

uint16_t rd16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t rd32(const uint8_t* p) { return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24); }
uint64_t rd64(const uint8_t* p) { return uint64_t(rd32(p)) | (uint64_t(rd32(p + 4)) << 32); }

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw std::runtime_error("zip " + path + ": " + what);
}

}  // namespace

bool iequalsAscii(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

ZipReader::ZipReader(const std::string& path) : path_(path) {
#ifdef _WIN32
    // A narrow path means the ANSI code page there: open by the UTF-16 name instead.
    std::u16string wide = toUtf16(path);
    FILE* f = ::_wfopen(reinterpret_cast<const wchar_t*>(wide.c_str()), L"rb");
    if (!f) fail(path, "cannot open");
    char buf[65536];
    for (size_t got; (got = std::fread(buf, 1, sizeof buf, f)) > 0;) data_.insert(data_.end(), buf, buf + got);
    std::fclose(f);
#else
    std::ifstream f(path, std::ios::binary);
    if (!f) fail(path, "cannot open");
    data_.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
#endif
    const size_t n = data_.size();
    if (n < 22) fail(path, "too small for a ZIP archive");

    // End of central directory: scan back over at most 64 KiB of comment.
    size_t eocd = SIZE_MAX;
    size_t lowest = n > 22 + 65535 ? n - 22 - 65535 : 0;
    for (size_t i = n - 22 + 1; i-- > lowest;) {
        if (rd32(&data_[i]) == 0x06054b50) { eocd = i; break; }
    }
    if (eocd == SIZE_MAX) fail(path, "no end-of-central-directory record");
    const uint8_t* e = &data_[eocd];
    uint64_t count = rd16(e + 10);
    uint64_t cdSize = rd32(e + 12);
    uint64_t cdOffset = rd32(e + 16);

    if (count == 0xFFFF || cdSize == 0xFFFFFFFF || cdOffset == 0xFFFFFFFF) {
        // ZIP64: locator right before the EOCD.
        if (eocd < 20 || rd32(&data_[eocd - 20]) != 0x07064b50) fail(path, "ZIP64 locator missing");
        uint64_t z64 = rd64(&data_[eocd - 20 + 8]);
        if (z64 + 56 > n || rd32(&data_[z64]) != 0x06064b50) fail(path, "bad ZIP64 end record");
        count = rd64(&data_[z64 + 32]);
        cdSize = rd64(&data_[z64 + 40]);
        cdOffset = rd64(&data_[z64 + 48]);
    }
    if (cdOffset + cdSize > n) fail(path, "central directory out of range");

    size_t p = size_t(cdOffset);
    for (uint64_t i = 0; i < count; ++i) {
        if (p + 46 > n || rd32(&data_[p]) != 0x02014b50) fail(path, "bad central directory entry");
        const uint8_t* h = &data_[p];
        ZipEntry z;
        z.flags = rd16(h + 8);
        z.method = rd16(h + 10);
        z.crc32 = rd32(h + 16);
        z.compressedSize = rd32(h + 20);
        z.size = rd32(h + 24);
        uint16_t nameLen = rd16(h + 28), extraLen = rd16(h + 30), commentLen = rd16(h + 32);
        z.localHeaderOffset = rd32(h + 42);
        if (p + 46 + nameLen + extraLen + commentLen > n) fail(path, "entry out of range");
        z.name.assign(reinterpret_cast<const char*>(h + 46), nameLen);
        // ZIP64 extra field: the 0xFFFFFFFF fields, in order.
        const uint8_t* x = h + 46 + nameLen;
        const uint8_t* xe = x + extraLen;
        while (x + 4 <= xe) {
            uint16_t id = rd16(x), len = rd16(x + 2);
            if (x + 4 + len > xe) break;
            if (id == 0x0001) {
                const uint8_t* q = x + 4;
                const uint8_t* qe = q + len;
                if (z.size == 0xFFFFFFFF && q + 8 <= qe) { z.size = rd64(q); q += 8; }
                if (z.compressedSize == 0xFFFFFFFF && q + 8 <= qe) { z.compressedSize = rd64(q); q += 8; }
                if (z.localHeaderOffset == 0xFFFFFFFF && q + 8 <= qe) { z.localHeaderOffset = rd64(q); q += 8; }
            }
            x += 4 + len;
        }
        entries_.push_back(std::move(z));
        p += 46 + nameLen + extraLen + commentLen;
    }
}

const ZipEntry* ZipReader::find(const std::string& name) const {
    for (auto& e : entries_)
        if (iequalsAscii(e.name, name)) return &e;
    return nullptr;
}

std::vector<uint8_t> ZipReader::read(const ZipEntry& z) const {
    const size_t n = data_.size();
    if (z.flags & 1) fail(path_, z.name + ": encrypted entries are not supported");
    if (z.localHeaderOffset + 30 > n || rd32(&data_[z.localHeaderOffset]) != 0x04034b50)
        fail(path_, z.name + ": bad local header");
    const uint8_t* l = &data_[z.localHeaderOffset];
    uint64_t start = z.localHeaderOffset + 30 + rd16(l + 26) + rd16(l + 28);
    if (start + z.compressedSize > n) fail(path_, z.name + ": data out of range");
    const uint8_t* src = &data_[start];

    std::vector<uint8_t> out;
    if (z.method == 0) {
        if (z.compressedSize != z.size) fail(path_, z.name + ": stored entry with differing sizes");
        out.assign(src, src + z.size);
    } else if (z.method == 8 && z.size == 0) {
        uint8_t tmp[16];
        uLongf outLen = sizeof tmp;
        z_stream s;
        std::memset(&s, 0, sizeof s);
        if (inflateInit2(&s, -MAX_WBITS) != Z_OK) fail(path_, "inflateInit2 failed");
        s.next_in = const_cast<Bytef*>(src);
        s.avail_in = uInt(z.compressedSize);
        s.next_out = tmp;
        s.avail_out = uInt(outLen);
        int rc = inflate(&s, Z_FINISH);
        size_t produced = sizeof tmp - s.avail_out;
        inflateEnd(&s);
        if (rc != Z_STREAM_END || produced != 0) fail(path_, z.name + ": bad empty deflated entry");
    } else if (z.method == 8) {
        out.resize(z.size);
        uint8_t dummy = 0;  // inflate wants a non-null output even for an empty entry
        z_stream s;
        std::memset(&s, 0, sizeof s);
        if (inflateInit2(&s, -MAX_WBITS) != Z_OK) fail(path_, "inflateInit2 failed");
        // Feed in chunks: avail_in/avail_out are 32-bit.
        uint64_t inLeft = z.compressedSize, outLeft = z.size;
        s.next_in = const_cast<Bytef*>(src);
        s.next_out = out.empty() ? &dummy : out.data();
        int rc = Z_OK;
        while (rc == Z_OK) {
            uInt inChunk = uInt(std::min<uint64_t>(inLeft, 1u << 30));
            uInt outChunk = uInt(std::min<uint64_t>(outLeft, 1u << 30));
            s.avail_in = inChunk;
            s.avail_out = outChunk;
            rc = inflate(&s, Z_NO_FLUSH);
            inLeft -= inChunk - s.avail_in;
            outLeft -= outChunk - s.avail_out;
            if (rc == Z_OK && inChunk == s.avail_in && outChunk == s.avail_out) break;  // no progress
        }
        inflateEnd(&s);
        if (rc != Z_STREAM_END) fail(path_, z.name + ": inflate failed (" + std::to_string(rc) + ")");
        if (outLeft != 0) fail(path_, z.name + ": inflated size differs from the directory");
    } else {
        fail(path_, z.name + ": compression method " + std::to_string(z.method) + " not supported");
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    const uint8_t* q = out.data();
    uint64_t left = out.size();
    while (left) {
        uInt chunk = uInt(std::min<uint64_t>(left, 1u << 30));
        crc = crc32(crc, q, chunk);
        q += chunk;
        left -= chunk;
    }
    if (uint32_t(crc) != z.crc32) fail(path_, z.name + ": CRC mismatch");
    return out;
}

std::string ZipReader::readText(const std::string& name) const {
    const ZipEntry* e = find(name);
    if (!e) fail(path_, "no entry " + name);
    auto b = read(*e);
    return std::string(b.begin(), b.end());
}

}  // namespace host
