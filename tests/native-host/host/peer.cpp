#include "peer.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "base64.h"
#include "library.h"

extern char** environ;

namespace host {

const char* peerKindName(PeerKind k) {
    switch (k) {
        case PeerKind::Python: return "python";
        case PeerKind::Node: return "node";
        case PeerKind::Dotnet: return "dotnet";
    }
    return "?";
}

std::vector<PeerKind> allPeerKinds() { return {PeerKind::Python, PeerKind::Node, PeerKind::Dotnet}; }

namespace {

bool isFile(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string which(const std::string& prog) {
    if (prog.find('/') != std::string::npos) return isFile(prog) ? prog : "";
    const char* path = std::getenv("PATH");
    std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin";
    size_t start = 0;
    while (start <= p.size()) {
        size_t colon = p.find(':', start);
        if (colon == std::string::npos) colon = p.size();
        std::string dir = p.substr(start, colon - start);
        if (!dir.empty()) {
            std::string cand = dir + "/" + prog;
            if (::access(cand.c_str(), X_OK) == 0 && isFile(cand)) return cand;
        }
        start = colon + 1;
    }
    return "";
}

}  // namespace

std::vector<std::string> Peer::commandFor(PeerKind kind, std::string* why) {
    const std::string repo = Library::repoDir();
    std::string interp, script;
    switch (kind) {
        case PeerKind::Python:
            interp = isFile("/usr/bin/python3") ? "/usr/bin/python3" : which("python3");
            script = repo + "/tests/peers/python/peer.py";
            break;
        case PeerKind::Node:
            interp = which("node");
            script = repo + "/tests/peers/node/peer.js";
            break;
        case PeerKind::Dotnet:
            interp = which("dotnet");
            script = repo + "/tests/peers/dotnet/bin/peer.dll";
            break;
    }
    if (interp.empty()) {
        if (why) *why = std::string("interpreter for the ") + peerKindName(kind) + " peer not found";
        return {};
    }
    if (!isFile(script)) {
        if (why) *why = "peer program " + script + " not found";
        return {};
    }
    return {interp, script};
}

bool Peer::available(PeerKind kind, std::string* why) { return !commandFor(kind, why).empty(); }

Peer::Peer(PeerKind kind, const PeerOptions& o) : name_(peerKindName(kind)) {
    std::string why;
    auto argv = commandFor(kind, &why);
    if (argv.empty()) throw std::runtime_error(why);
    argv.push_back("--url");
    argv.push_back(o.url);
    if (!o.ca.empty()) { argv.push_back("--ca"); argv.push_back(o.ca); }
    for (auto& h : o.headers) { argv.push_back("--header"); argv.push_back(h); }
    for (auto& s : o.subprotocols) { argv.push_back("--subprotocol"); argv.push_back(s); }
    if (!o.origin.empty()) { argv.push_back("--origin"); argv.push_back(o.origin); }
    if (o.noCloseOnEof) argv.push_back("--no-close-on-eof");
    if (o.deflate) argv.push_back("--deflate");
    start(argv);
}

Peer::Peer(const std::vector<std::string>& argv, const std::string& name) : name_(name) { start(argv); }

void Peer::start(const std::vector<std::string>& argv) {
    int inPipe[2], outPipe[2], errPipe[2];
    if (::pipe2(inPipe, O_CLOEXEC) || ::pipe2(outPipe, O_CLOEXEC) || ::pipe2(errPipe, O_CLOEXEC))
        throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, inPipe[0], 0);
    posix_spawn_file_actions_adddup2(&fa, outPipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, errPipe[1], 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    // The add-in's sockets must never leak into a peer (they would keep connections open).
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setpgroup(&attr, 0);  // own process group: killed as a whole
    sigset_t def;
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGTERM);
    posix_spawnattr_setsigdefault(&attr, &def);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    int rc = ::posix_spawn(&pid_, cargv[0], &fa, &attr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(inPipe[0]);
    ::close(outPipe[1]);
    ::close(errPipe[1]);
    if (rc != 0) {
        ::close(inPipe[1]);
        ::close(outPipe[0]);
        ::close(errPipe[0]);
        pid_ = -1;
        throw std::runtime_error("posix_spawn(" + argv[0] + ") failed: " + std::strerror(rc));
    }
    in_ = inPipe[1];
    out_ = outPipe[0];
    err_ = errPipe[0];
    ::fcntl(in_, F_SETFL, ::fcntl(in_, F_GETFL) | O_NONBLOCK);
    reader_ = std::thread([this] { readerLoop(); });
    errReader_ = std::thread([this] { stderrLoop(); });
}

Peer::~Peer() {
    kill();
    if (reader_.joinable()) reader_.join();
    if (errReader_.joinable()) errReader_.join();
    if (in_ >= 0) ::close(in_);
    if (out_ >= 0) ::close(out_);
    if (err_ >= 0) ::close(err_);
}

void Peer::kill() {
    if (pid_ <= 0) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (!reaped_) {
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
        int st = 0;
        if (::waitpid(pid_, &st, 0) == pid_) {
            exitStatus_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        reaped_ = true;
    }
}

int Peer::waitExit(ms timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        {
            std::lock_guard<std::mutex> lock(mu_);
            if (reaped_) return exitStatus_;
            int st = 0;
            pid_t r = ::waitpid(pid_, &st, WNOHANG);
            if (r == pid_) {
                exitStatus_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                reaped_ = true;
                return exitStatus_;
            }
        }
        if (std::chrono::steady_clock::now() >= deadline) return -1;
        std::this_thread::sleep_for(ms(10));
    }
}

void Peer::readerLoop() {
    std::string buf;
    char chunk[65536];
    while (true) {
        ssize_t n = ::read(out_, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        buf.append(chunk, size_t(n));
        size_t pos;
        while ((pos = buf.find('\n')) != std::string::npos) {
            std::string line = buf.substr(0, pos);
            buf.erase(0, pos + 1);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.empty()) continue;
            json j = json::parse(line, nullptr, false);
            std::lock_guard<std::mutex> lock(mu_);
            if (j.is_discarded() || !j.is_object()) {
                badLines_.push_back(line.substr(0, 200));
                rawLines_.push_back(line);
                cv_.notify_all();
                continue;
            }
            queue_.push_back(j);
            history_.push_back(j);
            cv_.notify_all();
        }
    }
    std::lock_guard<std::mutex> lock(mu_);
    eof_ = true;
    cv_.notify_all();
}

void Peer::stderrLoop() {
    char chunk[4096];
    while (true) {
        ssize_t n = ::read(err_, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        std::lock_guard<std::mutex> lock(mu_);
        if (stderr_.size() < 256 * 1024) stderr_.append(chunk, size_t(n));
    }
}

bool Peer::writeAll(const std::string& s, ms timeout) {
    std::lock_guard<std::mutex> lock(writeMu_);
    if (in_ < 0) return false;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t off = 0;
    while (off < s.size()) {
        ssize_t w = ::write(in_, s.data() + off, s.size() - off);
        if (w > 0) {
            off += size_t(w);
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            auto left = std::chrono::duration_cast<ms>(deadline - std::chrono::steady_clock::now()).count();
            if (left <= 0) return false;
            pollfd p{in_, POLLOUT, 0};
            ::poll(&p, 1, int(std::min<long long>(left, 100)));
            continue;
        }
        return false;  // EPIPE: the peer is gone
    }
    return true;
}

bool Peer::command(const json& cmd, ms timeout) { return writeAll(cmd.dump() + "\n", timeout); }

bool Peer::sendText(const std::string& utf8) { return command({{"op", "send"}, {"text", utf8}}); }
bool Peer::sendBinary(const std::vector<uint8_t>& bytes) {
    return command({{"op", "send"}, {"binary", base64Encode(bytes)}});
}
bool Peer::sendMany(const std::string& prefix, long count) {
    return command({{"op", "send_many"}, {"prefix", prefix}, {"count", count}});
}
bool Peer::sendGenerated(const std::string& type, size_t size) {
    return command({{"op", "send_generated"}, {"type", type}, {"size", size}});
}
bool Peer::close(int code, const std::string& reason) {
    return command({{"op", "close"}, {"code", code}, {"reason", reason}});
}
bool Peer::drop() { return command({{"op", "drop"}}); }
bool Peer::quit() { return command({{"op", "quit"}}); }

void Peer::closeStdin() {
    std::lock_guard<std::mutex> lock(writeMu_);
    if (in_ >= 0) {
        ::close(in_);
        in_ = -1;
    }
}

std::optional<json> Peer::next(ms timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return !queue_.empty() || eof_; });
    if (queue_.empty()) return std::nullopt;
    json j = std::move(queue_.front());
    queue_.pop_front();
    return j;
}

std::optional<json> Peer::waitForAny(const std::vector<std::string>& events, ms timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        auto left = std::chrono::duration_cast<ms>(deadline - std::chrono::steady_clock::now());
        if (left.count() < 0) left = ms(0);
        auto j = next(left);
        if (!j) return std::nullopt;
        std::string ev = j->value("event", "");
        for (auto& e : events)
            if (ev == e) return j;
    }
}

std::optional<json> Peer::waitFor(const std::string& event, ms timeout) { return waitForAny({event}, timeout); }

bool Peer::waitOpen(ms timeout) {
    auto j = waitForAny({"open", "error", "close"}, timeout);
    return j && (*j)["event"] == "open";
}

std::optional<json> Peer::waitClosed(ms timeout) {
    auto j = waitForAny({"close", "error"}, timeout);
    if (j && (*j)["event"] == "close") return j;
    return std::nullopt;
}

std::optional<std::string> Peer::nextRawLine(ms timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return !rawLines_.empty() || eof_; });
    if (rawLines_.empty()) return std::nullopt;
    std::string l = std::move(rawLines_.front());
    rawLines_.pop_front();
    return l;
}

bool Peer::ended() const {
    std::lock_guard<std::mutex> lock(mu_);
    return eof_;
}

std::vector<json> Peer::history() const {
    std::lock_guard<std::mutex> lock(mu_);
    return history_;
}

std::string Peer::stderrText() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stderr_;
}

std::string Peer::diagnostics() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::ostringstream s;
    s << "peer " << name_ << " (pid " << pid_ << ")";
    if (reaped_) s << " exited " << exitStatus_;
    s << ", " << history_.size() << " events";
    size_t from = history_.size() > 8 ? history_.size() - 8 : 0;
    for (size_t i = from; i < history_.size(); ++i) {
        std::string d = history_[i].dump();
        if (d.size() > 300) d = d.substr(0, 300) + "...";
        s << "\n    " << d;
    }
    for (auto& l : badLines_) s << "\n    (not JSON) " << l;
    if (!stderr_.empty()) {
        std::string e = stderr_.size() > 3000 ? "..." + stderr_.substr(stderr_.size() - 3000) : stderr_;
        s << "\n  stderr:\n" << e;
    }
    return s.str();
}

}  // namespace host
