// The add-in in the Windows host under Wine (tests/native-host/windows/addin-platform.cpp): the
// tests' Component and Library talk to it over its stdin/stdout, one JSON request per line, each
// with an id; the host runs every request on a thread of its own and tags the reply with the id,
// so a Receive(0) blocked on one thread does not hold up a Stop on another.
//   WEBSOCKET_WINE_HOST  the host program (addin-platform.exe); setting it selects this backend
//   WEBSOCKET_WINE       the wine loader (default /usr/lib/wine/wine64, else wine)
//   WINEPREFIX, WINEDEBUG (default -all), WINEDLLOVERRIDES: passed on to Wine
#pragma once
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "backend.h"
#include "library.h"

namespace host {

class RemoteHost : public std::enable_shared_from_this<RemoteHost> {
public:
    /// Starts the host program, has it load lib.zipPath and fills lib's load-time fields from
    /// its answer. Throws std::runtime_error (with the host's stderr) if it cannot.
    static std::shared_ptr<RemoteHost> start(Library& lib);
    ~RemoteHost();
    RemoteHost(const RemoteHost&) = delete;
    RemoteHost& operator=(const RemoteHost&) = delete;

    bool running() const { return !ended_; }
    const std::string& program() const { return program_; }
    pid_t pid() const { return pid_; }

    /// Sends {"op": op, ...args} and waits for its reply. Throws std::runtime_error when the
    /// host reports an error or has ended.
    nlohmann::json request(const std::string& op, nlohmann::json args = nlohmann::json::object());

    std::unique_ptr<ComponentBackend> create(const ComponentOptions& opts);
    MemoryReport memory();
    void clearMemoryViolations();
    void refuseAllocations(long count, size_t minBytes);
    /// Network sockets held by this prefix's wineserver (it holds the Unix side of every Windows
    /// socket of every process of the prefix; ours is the only one); -1 if it cannot be found.
    int socketCount();
    /// The host's stderr (its last 8 KiB), for messages.
    std::string stderrTail() const;

private:
    RemoteHost() = default;
    void spawn(const std::vector<std::string>& argv);
    void readerLoop();
    void stderrLoop();
    void end(const std::string& why);

    std::string program_;
    pid_t pid_ = -1;
    int in_ = -1, out_ = -1, err_ = -1;
    std::thread reader_, errReader_;
    std::mutex writeMu_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    long long nextId_ = 0;
    std::map<long long, nlohmann::json> replies_;
    std::atomic<bool> ended_{false};
    std::string endReason_;
    std::string stderr_;
};

}  // namespace host
