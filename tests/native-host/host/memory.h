// The platform's memory manager, instrumented: counts live allocations and bytes, detects
// double/foreign frees and writes past the end of a block (guard bytes), never crashes on them.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "addin/IMemoryManager.h"

namespace host {

class MemoryManager final : public IMemoryManager {
public:
    /// The one memory manager of the process (the platform has one too). Never destroyed.
    static MemoryManager& instance();

    bool ADDIN_API AllocMemory(void** pMemory, unsigned long ulCountByte) override;
    void ADDIN_API FreeMemory(void** pMemory) override;

    // Host-side helpers (what the platform does with its own allocator).
    void* alloc(size_t bytes);
    void free(void* p);

    /// True if p is the start of a live block; size gets its requested size.
    bool owns(const void* p, size_t* size = nullptr) const;

    long live() const { return live_.load(); }
    long long liveBytes() const { return liveBytes_.load(); }
    long long totalAllocs() const { return totalAllocs_.load(); }
    long long totalFrees() const { return totalFrees_.load(); }

    /// ABI violations seen so far (double free, foreign pointer, overrun, ...).
    std::vector<std::string> violations() const;
    void addViolation(const std::string& what);
    void clearViolations();

    /// The platform refusing memory: the next `count` AllocMemory calls of at least `minBytes`
    /// return false (as the platform's does when it cannot allocate). 0 stops it.
    void refuseAllocations(long count, size_t minBytes = 0) { refuseMin_ = minBytes; refuse_ = count; }
    long long refused() const { return refused_.load(); }

    /// Describe live blocks (for diagnostics), at most `max`.
    std::string describeLive(size_t max = 10) const;

private:
    MemoryManager() = default;
    ADDIN_DESTRUCTOR_OVERRIDE(MemoryManager) = default;

    mutable std::mutex mu_;
    std::unordered_map<const void*, size_t> blocks_;
    std::vector<std::string> violations_;
    std::atomic<long> live_{0};
    std::atomic<long long> liveBytes_{0}, totalAllocs_{0}, totalFrees_{0}, refused_{0};
    std::atomic<long> refuse_{0};
    std::atomic<size_t> refuseMin_{0};
};

}  // namespace host
