// A WebSocket client that is not ours (Python websockets, Node ws, .NET ClientWebSocket),
// driven through the line protocol of tests/peers/PROTOCOL.md.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace host {

using json = nlohmann::json;
using ms = std::chrono::milliseconds;

enum class PeerKind { Python, Node, Dotnet };
const char* peerKindName(PeerKind k);
inline void PrintTo(PeerKind k, std::ostream* os) { *os << peerKindName(k); }
std::vector<PeerKind> allPeerKinds();

struct PeerOptions {
    std::string url;
    std::string ca;                         // --ca FILE
    std::vector<std::string> headers;       // --header K:V
    std::vector<std::string> subprotocols;  // --subprotocol P
    std::string origin;                     // --origin O
    bool noCloseOnEof = false;              // --no-close-on-eof
    bool deflate = false;                   // --deflate (Python and Node peers)
};

class Peer {
public:
    /// The command line of a peer kind (argv[0] resolved); empty + why if unavailable.
    static std::vector<std::string> commandFor(PeerKind kind, std::string* why = nullptr);
    static bool available(PeerKind kind, std::string* why = nullptr);

    /// Spawns the peer for `kind`. Throws std::runtime_error if it cannot start.
    Peer(PeerKind kind, const PeerOptions& opts);
    /// Spawns an arbitrary program speaking the protocol (used by the harness self-test).
    Peer(const std::vector<std::string>& argv, const std::string& name);
    ~Peer();  // kills the process group (SIGKILL) if still running, reaps it
    Peer(const Peer&) = delete;
    Peer& operator=(const Peer&) = delete;

    const std::string& name() const { return name_; }
    pid_t pid() const { return pid_; }

    // Commands. Return false if the peer's stdin is gone or a write timed out.
    bool command(const json& cmd, ms timeout = ms(30000));
    bool sendText(const std::string& utf8);
    bool sendBinary(const std::vector<uint8_t>& bytes);
    bool sendMany(const std::string& prefix, long count);
    bool sendGenerated(const std::string& type, size_t size);
    bool close(int code = 1000, const std::string& reason = "");
    bool drop();
    bool quit();
    void closeStdin();

    /// The next event, or nullopt on timeout / end of output.
    std::optional<json> next(ms timeout);
    /// The next event named `event` (others are skipped but kept in history()).
    std::optional<json> waitFor(const std::string& event, ms timeout);
    /// The next event among `events`.
    std::optional<json> waitForAny(const std::vector<std::string>& events, ms timeout);
    /// Waits for "open"; false if an error/close came instead or time ran out.
    bool waitOpen(ms timeout = ms(15000));
    /// Waits for the connection to end: a "close" or "error" event, or the end of output.
    /// Returns the close event if there was one.
    std::optional<json> waitClosed(ms timeout);

    /// The next stdout line that is not a JSON object (for programs that print plain text).
    std::optional<std::string> nextRawLine(ms timeout);

    /// True once stdout reached EOF (the process is exiting).
    bool ended() const;
    /// Waits for the process to exit; returns its exit status (-1 on timeout, 128+sig if killed).
    int waitExit(ms timeout);
    void kill();

    std::vector<json> history() const;
    std::string stderrText() const;
    /// Everything useful for a failure message.
    std::string diagnostics() const;

private:
    void start(const std::vector<std::string>& argv);
    void readerLoop();
    void stderrLoop();
    bool writeAll(const std::string& s, ms timeout);

    std::string name_;
    pid_t pid_ = -1;
    int in_ = -1, out_ = -1, err_ = -1;
    std::thread reader_, errReader_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<json> queue_;
    std::vector<json> history_;
    std::string stderr_;
    std::vector<std::string> badLines_;
    std::deque<std::string> rawLines_;
    bool eof_ = false;
    int exitStatus_ = -1;
    bool reaped_ = false;
    std::mutex writeMu_;
};

}  // namespace host
