#include "remote.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "memory.h"
#include "wire.h"

extern char** environ;

namespace host {

using json = nlohmann::json;

namespace {

std::string envOr(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

/// A Linux path as the Windows side names it: Wine maps drive Z: to "/".
std::string dosPath(const std::string& path) {
    std::string p = path;
    if (!p.empty() && p[0] != '/') {
        char cwd[4096];
        if (::getcwd(cwd, sizeof cwd)) p = std::string(cwd) + "/" + p;
    }
    for (auto& c : p)
        if (c == '/') c = '\\';
    return "Z:" + p;
}

bool writeAll(int fd, const char* p, size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= size_t(w);
    }
    return true;
}

// ---- one object in the host ------------------------------------------------------------------------

class RemoteEvents final : public PlatformEvents {
public:
    RemoteEvents(std::shared_ptr<RemoteHost> h, long long obj) : h_(std::move(h)), obj_(obj) {}
    bool takeEvent(EventRecord* out, std::chrono::milliseconds timeout) override {
        json r = h_->request("takeEvent", {{"obj", obj_}, {"timeoutMs", (long long)timeout.count()}});
        if (!r.at("got").get<bool>()) return false;
        if (out) *out = EventRecord{r.at("source"), r.at("message"), r.at("data")};
        return true;
    }
    size_t bufferedEvents() const override { return state().at("buffered").get<size_t>(); }
    long long eventsAccepted() const override { return state().at("accepted").get<long long>(); }
    long long eventsRefused() const override { return state().at("refused").get<long long>(); }
    bool setEventBufferDepth(long depth) override {
        return h_->request("setEventBufferDepth", {{"obj", obj_}, {"depth", depth}}).at("result").get<bool>();
    }
    long eventBufferDepth() override { return state().at("depth").get<long>(); }
    bool externalEvent(const std::string& source, const std::string& message, const std::string& data) override {
        return h_->request("externalEvent", {{"obj", obj_}, {"source", source}, {"message", message}, {"data", data}})
            .at("result")
            .get<bool>();
    }

private:
    json state() const { return h_->request("events", {{"obj", obj_}}); }
    std::shared_ptr<RemoteHost> h_;
    long long obj_;
};

class RemoteComponent final : public ComponentBackend {
public:
    RemoteComponent(std::shared_ptr<RemoteHost> h, const ComponentOptions& opts) : h_(std::move(h)) {
        json r = h_->request("create", {{"options", wire::toJson(opts)}});
        obj_ = r.at("obj").get<long long>();
        info_ = r.at("info").get<long>();
        extensionName_ = r.at("extensionName").get<std::string>();
        initResult_ = r.at("initResult").get<bool>();
        memResult_ = r.at("memResult").get<bool>();
        events_ = std::make_unique<RemoteEvents>(h_, obj_);
        alive_ = true;
    }
    ~RemoteComponent() override {
        try {
            destroy();
            if (h_->running()) h_->request("release", {{"obj", obj_}});
        } catch (...) {
        }
    }

    void destroy() override {
        if (!alive_.exchange(false)) return;
        h_->request("destroy", {{"obj", obj_}});
    }
    void done() override {
        if (alive_) h_->request("done", {{"obj", obj_}});
    }
    bool alive() const override { return alive_; }
    PlatformEvents& events() override { return *events_; }
    IComponentBase* object() override { return nullptr; }
    Platform* localPlatform() override { return nullptr; }
    long info() const override { return info_; }
    const std::string& extensionName() const override { return extensionName_; }
    bool initResult() const override { return initResult_; }
    bool memResult() const override { return memResult_; }

    long findMethod(const std::string& name) override { return num("findMethod", {{"name", name}}); }
    long findProp(const std::string& name) override { return num("findProp", {{"name", name}}); }
    long nMethods() override { return num("nMethods", {}); }
    long nProps() override { return num("nProps", {}); }
    std::string methodName(long n, long alias) override { return str("methodName", {{"n", n}, {"alias", alias}}); }
    std::string propName(long n, long alias) override { return str("propName", {{"n", n}, {"alias", alias}}); }
    long nParams(long m) override { return num("nParams", {{"n", m}}); }
    bool hasRetVal(long m) override { return flag("hasRetVal", {{"n", m}}); }
    bool isPropReadable(long n) override { return flag("isPropReadable", {{"n", n}}); }
    bool isPropWritable(long n) override { return flag("isPropWritable", {{"n", n}}); }
    bool paramDefValue(long m, long p, Variant* out) override {
        json r = ask("paramDefValue", {{"n", m}, {"param", p}});
        if (out) *out = wire::fromJson(r.at("value"));
        return r.at("result").get<bool>();
    }

    CallResult call(const std::string& name, std::vector<Variant>& args) override {
        return calling("call", {{"name", name}}, args);
    }
    CallResult callAsProc(const std::string& name, std::vector<Variant>& args) override {
        return calling("callAsProc", {{"name", name}}, args);
    }
    CallResult callRaw(long m, std::vector<Variant>& args, bool asFunc) override {
        return calling("callRaw", {{"n", m}, {"asFunc", asFunc}}, args);
    }
    CallResult callRawCount(long m, tVariant* params, long count, bool asFunc) override {
        json a = nullptr;
        if (params) {
            a = json::array();
            for (long i = 0; i < count; ++i) a.push_back(wire::toJson(params[i]));
        }
        // The add-in sees copies; what it does to them stays in its process (the caller's slots,
        // which may share buffers with other values, are left as they were).
        json r = ask("callRawCount", {{"n", m}, {"count", count}, {"asFunc", asFunc}, {"args", a}});
        return wire::callResultFromJson(r.at("result"));
    }

    Variant get(const std::string& prop, bool* ok) override {
        json r = ask("get", {{"prop", prop}});
        if (ok) *ok = r.at("result").get<bool>();
        return wire::fromJson(r.at("value"));
    }
    bool set(const std::string& prop, const Variant& v) override {
        return flag("set", {{"prop", prop}, {"value", wire::toJson(v.raw())}});
    }

    std::vector<std::string> abiViolations() const override {
        return h_->request("violations", {{"obj", obj_}}).at("violations").get<std::vector<std::string>>();
    }

private:
    json ask(const std::string& op, json args) {
        args["obj"] = obj_;
        return h_->request(op, std::move(args));
    }
    long num(const std::string& op, json args) { return ask(op, std::move(args)).at("result").get<long>(); }
    bool flag(const std::string& op, json args) { return ask(op, std::move(args)).at("result").get<bool>(); }
    std::string str(const std::string& op, json args) { return ask(op, std::move(args)).at("result").get<std::string>(); }

    CallResult calling(const std::string& op, json args, std::vector<Variant>& values) {
        json a = json::array();
        for (auto& v : values) a.push_back(wire::toJson(v.raw()));
        args["args"] = std::move(a);
        json r = ask(op, std::move(args));
        // By-ref slots: what the host's copy-back left in each, as 1C copies them into its variables.
        const json& back = r.at("args");
        for (size_t i = 0; i < values.size() && i < back.size(); ++i) values[i] = wire::fromJson(back[i]);
        return wire::callResultFromJson(r.at("result"));
    }

    std::shared_ptr<RemoteHost> h_;
    long long obj_ = 0;
    long info_ = 0;
    std::string extensionName_;
    bool initResult_ = false, memResult_ = false;
    std::atomic<bool> alive_{false};
    std::unique_ptr<RemoteEvents> events_;
};

}  // namespace

// ---- the host process ---------------------------------------------------------------------------------

std::shared_ptr<RemoteHost> RemoteHost::start(Library& lib) {
    std::shared_ptr<RemoteHost> h(new RemoteHost());
    h->program_ = envOr("WEBSOCKET_WINE_HOST", "");
    if (::access(h->program_.c_str(), R_OK) != 0)
        throw std::runtime_error("WEBSOCKET_WINE_HOST=" + h->program_ + ": no such program (tests/native-host/windows builds it)");
    std::string wine = envOr("WEBSOCKET_WINE", ::access("/usr/lib/wine/wine64", X_OK) == 0 ? "/usr/lib/wine/wine64" : "wine");
    h->spawn({wine, h->program_});
    json r;
    try {
        r = h->request("load", {{"zip", dosPath(lib.zipPath)}});
    } catch (const std::exception& e) {
        throw std::runtime_error(std::string("the Windows host under Wine could not load ") + lib.zipPath + ": " + e.what());
    }
    lib.bundleName = r.at("bundleName");
    lib.manifest = r.at("manifest");
    lib.componentPath = r.at("componentPath");
    lib.extractedPath = r.at("extractedPath");
    lib.classNames = r.at("classNames");
    lib.capabilitiesReturned = r.at("capabilitiesReturned");
    lib.attachType = r.at("attachType");
    return h;
}

void RemoteHost::spawn(const std::vector<std::string>& argv) {
    int inPipe[2], outPipe[2], errPipe[2];
    if (::pipe2(inPipe, O_CLOEXEC) || ::pipe2(outPipe, O_CLOEXEC) || ::pipe2(errPipe, O_CLOEXEC))
        throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, inPipe[0], 0);
    posix_spawn_file_actions_adddup2(&fa, outPipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa, errPipe[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // Its own process group, so that it can be killed with everything Wine started for it.
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);

    std::vector<std::string> env;
    bool debug = false, overrides = false;
    for (char** e = environ; *e; ++e) {
        env.push_back(*e);
        debug = debug || std::strncmp(*e, "WINEDEBUG=", 10) == 0;
        overrides = overrides || std::strncmp(*e, "WINEDLLOVERRIDES=", 17) == 0;
    }
    if (!debug) env.push_back("WINEDEBUG=-all");  // Wine's fixme lines would bury the host's own
    if (!overrides) env.push_back("WINEDLLOVERRIDES=mscoree,mshtml=");  // no Mono or Gecko installer prompts
    std::vector<char*> envp, args;
    for (auto& s : env) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argvCopy = argv;
    for (auto& s : argvCopy) args.push_back(s.data());
    args.push_back(nullptr);
    int rc = ::posix_spawnp(&pid_, args[0], &fa, &attr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(inPipe[0]);
    ::close(outPipe[1]);
    ::close(errPipe[1]);
    if (rc != 0) {
        ::close(inPipe[1]);
        ::close(outPipe[0]);
        ::close(errPipe[0]);
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
    in_ = inPipe[1];
    out_ = outPipe[0];
    err_ = errPipe[0];
    reader_ = std::thread([this] { readerLoop(); });
    errReader_ = std::thread([this] { stderrLoop(); });
}

RemoteHost::~RemoteHost() {
    // Closing its stdin ends it (it exits at the end of its input); the group kill covers a hung
    // one. The reader thread reaps it when its output ends.
    if (in_ >= 0) ::close(in_);
    {
        std::unique_lock<std::mutex> lock(mu_);
        if (!cv_.wait_for(lock, std::chrono::seconds(2), [&] { return ended_.load(); }) && pid_ > 0) ::kill(-pid_, SIGKILL);
    }
    if (reader_.joinable()) reader_.join();
    if (errReader_.joinable()) errReader_.join();
    if (out_ >= 0) ::close(out_);
    if (err_ >= 0) ::close(err_);
}

void RemoteHost::readerLoop() {
    std::string buf;
    std::vector<char> chunk(1 << 20);
    while (true) {
        ssize_t n = ::read(out_, chunk.data(), chunk.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        size_t scanFrom = buf.size();
        buf.append(chunk.data(), size_t(n));
        size_t start = 0;
        for (size_t nl; (nl = buf.find('\n', scanFrom)) != std::string::npos; scanFrom = start = nl + 1) {
            json j = json::parse(buf.begin() + long(start), buf.begin() + long(nl), nullptr, false);
            if (j.is_discarded() || !j.is_object() || !j.contains("id")) {
                std::lock_guard<std::mutex> lock(mu_);
                stderr_ += "[stdout, not a reply] " + buf.substr(start, std::min<size_t>(nl - start, 300)) + "\n";
                continue;
            }
            long long id = j["id"].get<long long>();
            std::lock_guard<std::mutex> lock(mu_);
            replies_[id] = std::move(j);
            cv_.notify_all();
        }
        buf.erase(0, start);
    }
    end("its output ended");
}

void RemoteHost::stderrLoop() {
    char chunk[4096];
    while (true) {
        ssize_t n = ::read(err_, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        std::lock_guard<std::mutex> lock(mu_);
        stderr_.append(chunk, size_t(n));
        if (stderr_.size() > 16384) stderr_.erase(0, stderr_.size() - 8192);
    }
}

void RemoteHost::end(const std::string& why) {
    int status = 0;
    std::string how = why;
    if (pid_ > 0 && ::waitpid(pid_, &status, 0) == pid_) {
        pid_ = -1;
        if (WIFEXITED(status)) how += ", exit code " + std::to_string(WEXITSTATUS(status));
        else if (WIFSIGNALED(status)) how += ", killed by signal " + std::to_string(WTERMSIG(status));
    }
    std::lock_guard<std::mutex> lock(mu_);
    endReason_ = how;
    ended_ = true;
    cv_.notify_all();
}

std::string RemoteHost::stderrTail() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stderr_.size() > 8192 ? stderr_.substr(stderr_.size() - 8192) : stderr_;
}

json RemoteHost::request(const std::string& op, json args) {
    long long id;
    {
        std::lock_guard<std::mutex> lock(mu_);
        id = ++nextId_;
    }
    args["id"] = id;
    args["op"] = op;
    std::string line = args.dump(-1, ' ', false, json::error_handler_t::replace);
    line += '\n';
    {
        std::lock_guard<std::mutex> lock(writeMu_);
        if (ended_ || !writeAll(in_, line.data(), line.size()))
            throw std::runtime_error("the Windows host under Wine has ended (" + endReason_ + "); its stderr:\n" + stderrTail());
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return replies_.count(id) || ended_; });
    auto it = replies_.find(id);
    if (it == replies_.end()) {
        lock.unlock();
        throw std::runtime_error("the Windows host under Wine ended during " + op + " (" + endReason_ + "); its stderr:\n" +
                                 stderrTail());
    }
    json r = std::move(it->second);
    replies_.erase(it);
    lock.unlock();
    if (r.contains("error"))
        throw std::runtime_error("the Windows host: " + op + ": " + r["error"].get<std::string>());
    return r;
}

std::unique_ptr<ComponentBackend> RemoteHost::create(const ComponentOptions& opts) {
    return std::make_unique<RemoteComponent>(shared_from_this(), opts);
}

void RemoteHost::refuseAllocations(long count, size_t minBytes) {
    request("refuseAllocations", {{"count", count}, {"minBytes", minBytes}});
}

MemoryReport RemoteHost::memory() {
    json r = request("memory");
    MemoryReport m;
    m.live = r.at("live").get<long>();
    m.liveBytes = r.at("liveBytes").get<long long>();
    m.violations = r.at("violations").get<std::vector<std::string>>();
    m.liveDescription = r.at("liveDescription").get<std::string>();
    return m;
}

void RemoteHost::clearMemoryViolations() { request("clearMemoryViolations"); }

int RemoteHost::socketCount() {
    // Only network sockets: the server's Unix sockets come and go with Wine's own processes
    // (winedevice.exe and the like start when the add-in first needs them).
    std::set<std::string> inet;
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6"}) {
        std::ifstream f(table);
        std::string line;
        std::getline(f, line);  // the header
        while (std::getline(f, line)) {
            std::istringstream fields(line);
            std::string field, inode;
            for (int i = 0; i < 10 && fields >> field; ++i) inode = field;  // the 10th column
            if (!inode.empty() && inode != "0") inet.insert(inode);
        }
    }
    // The prefix's wineserver runs in /tmp/.wine-<uid>/server-<dev>-<inode of the prefix>.
    std::string prefix = envOr("WINEPREFIX", envOr("HOME", "") + "/.wine");
    struct stat st;
    if (::stat(prefix.c_str(), &st) != 0) return -1;
    char want[64];
    std::snprintf(want, sizeof want, "/server-%llx-%llx", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    DIR* proc = ::opendir("/proc");
    if (!proc) return -1;
    int count = -1;
    while (dirent* d = ::readdir(proc)) {
        if (d->d_name[0] < '0' || d->d_name[0] > '9') continue;
        std::string base = std::string("/proc/") + d->d_name;
        char cwd[4096];
        ssize_t n = ::readlink((base + "/cwd").c_str(), cwd, sizeof cwd - 1);
        if (n <= 0) continue;
        cwd[n] = 0;
        std::string c = cwd;
        if (c.size() < std::strlen(want) || c.compare(c.size() - std::strlen(want), std::string::npos, want) != 0) continue;
        char exe[4096];
        n = ::readlink((base + "/exe").c_str(), exe, sizeof exe - 1);
        if (n <= 0 || std::string(exe, size_t(n)).find("wineserver") == std::string::npos) continue;
        DIR* fds = ::opendir((base + "/fd").c_str());
        if (!fds) continue;
        count = 0;
        while (dirent* f = ::readdir(fds)) {
            char target[256];
            ssize_t m = ::readlinkat(dirfd(fds), f->d_name, target, sizeof target - 1);
            if (m <= 0 || std::strncmp(target, "socket:[", 8) != 0) continue;
            target[m] = 0;
            std::string inode(target + 8);
            if (!inode.empty() && inode.back() == ']') inode.pop_back();
            if (inet.count(inode)) ++count;
        }
        ::closedir(fds);
        break;
    }
    ::closedir(proc);
    return count;
}

}  // namespace host
