#include "memory.h"

#include <cstdlib>
#include <cstring>
#include <sstream>

namespace host {

namespace {
constexpr size_t kGuard = 16;
constexpr unsigned char kGuardByte = 0xA5;
}  // namespace

MemoryManager& MemoryManager::instance() {
    static MemoryManager* mm = new MemoryManager();  // never destroyed: late frees stay safe
    return *mm;
}

void* MemoryManager::alloc(size_t bytes) {
    auto* p = static_cast<unsigned char*>(std::malloc(bytes + kGuard));
    if (!p) return nullptr;
    std::memset(p + bytes, kGuardByte, kGuard);
    {
        std::lock_guard<std::mutex> lock(mu_);
        blocks_[p] = bytes;
    }
    live_++;
    liveBytes_ += (long long)bytes;
    totalAllocs_++;
    return p;
}

void MemoryManager::free(void* p) {
    if (!p) return;
    size_t bytes = 0;
    {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = blocks_.find(p);
        if (it == blocks_.end()) {
            std::ostringstream s;
            s << "FreeMemory of a pointer that is not a live block of this memory manager ("
              << p << "): double free or foreign memory";
            violations_.push_back(s.str());
            return;  // never crash, never free foreign memory
        }
        bytes = it->second;
        blocks_.erase(it);
        auto* b = static_cast<unsigned char*>(p);
        for (size_t i = 0; i < kGuard; ++i) {
            if (b[bytes + i] != kGuardByte) {
                std::ostringstream s;
                s << "write past the end of a " << bytes << "-byte block (at +" << (bytes + i) << ")";
                violations_.push_back(s.str());
                break;
            }
        }
    }
    live_--;
    liveBytes_ -= (long long)bytes;
    totalFrees_++;
    std::free(p);
}

bool ADDIN_API MemoryManager::AllocMemory(void** pMemory, unsigned long ulCountByte) {
    if (!pMemory) {
        addViolation("AllocMemory called with a null pointer");
        return false;
    }
    if (ulCountByte >= refuseMin_.load()) {
        long left = refuse_.load();
        while (left > 0 && !refuse_.compare_exchange_weak(left, left - 1)) {
        }
        if (left > 0) {
            refused_++;
            *pMemory = nullptr;
            return false;
        }
    }
    *pMemory = alloc(ulCountByte);
    return *pMemory != nullptr;
}

void ADDIN_API MemoryManager::FreeMemory(void** pMemory) {
    if (!pMemory) {
        addViolation("FreeMemory called with a null pointer-to-pointer");
        return;
    }
    free(*pMemory);
    *pMemory = nullptr;
}

bool MemoryManager::owns(const void* p, size_t* size) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = blocks_.find(p);
    if (it == blocks_.end()) return false;
    if (size) *size = it->second;
    return true;
}

std::vector<std::string> MemoryManager::violations() const {
    std::lock_guard<std::mutex> lock(mu_);
    return violations_;
}

void MemoryManager::addViolation(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    violations_.push_back(what);
}

void MemoryManager::clearViolations() {
    std::lock_guard<std::mutex> lock(mu_);
    violations_.clear();
}

std::string MemoryManager::describeLive(size_t max) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::ostringstream s;
    size_t n = 0;
    for (auto& [p, bytes] : blocks_) {
        if (n++ >= max) { s << " ..."; break; }
        s << " [" << p << ": " << bytes << " bytes";
        // Show the start as UTF-16 text if it looks like one (names, strings).
        const auto* w = static_cast<const char16_t*>(p);
        std::string preview;
        for (size_t i = 0; i < bytes / 2 && i < 24; ++i) {
            char16_t c = w[i];
            if (!c) break;
            preview += (c >= 32 && c < 127) ? char(c) : '?';
        }
        if (!preview.empty()) s << " \"" << preview << "\"";
        s << "]";
    }
    return s.str();
}

}  // namespace host
