#include "server_support.h"

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <regex>
#include <unistd.h>

namespace wstest {

// ---- watchdog ---------------------------------------------------------------------------------
namespace {
// Leaked on purpose: destroying a condition variable a detached thread waits on hangs exit().
std::mutex& wdMu = *new std::mutex;
std::condition_variable& wdCv = *new std::condition_variable;
std::string& wdTest = *new std::string;
std::string& wdStep = *new std::string;
std::chrono::steady_clock::time_point wdDeadline;
bool wdArmed = false;
std::thread* wdThread = nullptr;

void watchdogLoop() {
    std::unique_lock<std::mutex> lock(wdMu);
    while (true) {
        if (!wdArmed) {
            wdCv.wait(lock);
            continue;
        }
        if (wdCv.wait_until(lock, wdDeadline) == std::cv_status::timeout && wdArmed &&
            std::chrono::steady_clock::now() >= wdDeadline) {
            std::fprintf(stderr, "\nWATCHDOG: %s exceeded its time budget; last step: %s\n", wdTest.c_str(),
                         wdStep.c_str());
            std::fflush(stderr);
            std::_Exit(3);
        }
    }
}
}  // namespace

void watchdogArm(std::chrono::seconds budget, const std::string& test) {
    std::lock_guard<std::mutex> lock(wdMu);
    if (!wdThread) {
        wdThread = new std::thread(watchdogLoop);
        wdThread->detach();
    }
    wdTest = test;
    wdStep = "(start)";
    wdDeadline = std::chrono::steady_clock::now() + budget;
    wdArmed = true;
    wdCv.notify_all();
}

void watchdogDisarm() {
    std::lock_guard<std::mutex> lock(wdMu);
    wdArmed = false;
    wdCv.notify_all();
}

void step(const std::string& what) {
    std::lock_guard<std::mutex> lock(wdMu);
    wdStep = what;
}

// ---- helpers ----------------------------------------------------------------------------------
std::vector<Conn> parseConnections(const std::string& s, bool* ok, std::string* why) {
    std::vector<Conn> out;
    *ok = true;
    if (s.empty()) return out;
    static const std::regex entry(R"(^(\d+):((\d{1,3}\.){3}\d{1,3}|\[[0-9A-Fa-f:.%a-z]+\]):(\d{1,5})$)");
    size_t start = 0;
    while (start <= s.size()) {
        size_t bar = s.find('|', start);
        if (bar == std::string::npos) bar = s.size();
        std::string e = s.substr(start, bar - start);
        std::smatch m;
        if (!std::regex_match(e, m, entry)) {
            *ok = false;
            if (why) *why = "entry \"" + e + "\" is not Id:Address:Port";
            return out;
        }
        Conn c;
        c.id = std::stol(m[1].str());
        c.address = e.substr(m[1].length() + 1);
        out.push_back(c);
        start = bar + 1;
    }
    return out;
}

std::string wsUrl(int port, const std::string& host, bool tls) {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return std::string(tls ? "wss" : "ws") + "://" + h + ":" + std::to_string(port) + "/";
}

std::string peerName(const ::testing::TestParamInfo<PeerKind>& info) { return peerKindName(info.param); }

bool hasCyrillic(const std::string& s) {
    for (size_t i = 0; i + 1 < s.size(); ++i) {
        unsigned char a = static_cast<unsigned char>(s[i]);
        if (a == 0xD0 || a == 0xD1) return true;
    }
    return false;
}

int closeCodeIn(const std::string& bytes) {
    size_t i = 0;
    while (i + 2 <= bytes.size()) {
        unsigned char b0 = static_cast<unsigned char>(bytes[i]), b1 = static_cast<unsigned char>(bytes[i + 1]);
        uint64_t len = b1 & 0x7F;
        size_t h = 2;
        if (len == 126) {
            if (i + 4 > bytes.size()) return -1;
            len = (uint64_t(uint8_t(bytes[i + 2])) << 8) | uint8_t(bytes[i + 3]);
            h = 4;
        } else if (len == 127) {
            if (i + 10 > bytes.size()) return -1;
            len = 0;
            for (int k = 0; k < 8; ++k) len = (len << 8) | uint8_t(bytes[i + 2 + k]);
            h = 10;
        }
        if ((b0 & 0x0F) == 8) {
            if (len >= 2 && i + h + 2 <= bytes.size())
                return (uint8_t(bytes[i + h]) << 8) | uint8_t(bytes[i + h + 1]);
            return len == 0 ? 1005 : -1;
        }
        i += h + len;
    }
    return -1;
}

long long residentBytes() {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long long kb = -1;
    while (std::fgets(line, sizeof line, f)) {
        if (std::sscanf(line, "VmRSS: %lld kB", &kb) == 1) break;
    }
    std::fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

std::string largestMappings(long long minBytes) {
    std::FILE* f = std::fopen("/proc/self/smaps", "r");
    if (!f) return "(no /proc/self/smaps)";
    std::string out, head;
    char line[512];
    long long kb = 0;
    while (std::fgets(line, sizeof line, f)) {
        unsigned long from = 0, to = 0;
        if (std::sscanf(line, "%lx-%lx ", &from, &to) == 2) {
            head = line;
            if (!head.empty() && head.back() == '\n') head.pop_back();
        } else if (std::sscanf(line, "Rss: %lld kB", &kb) == 1 && kb * 1024 >= minBytes) {
            out += "\n  " + std::to_string(kb >> 10) + " MiB  " + head;
        }
    }
    std::fclose(f);
    return out.empty() ? "(none)" : out;
}

// ---- Server -------------------------------------------------------------------------------------
CallResult Server::run(const std::string& iface, int port) {
    step("Запустить(\"" + iface + "\", " + std::to_string(port) + ")");
    return c_.call("Запустить", {S(iface), I(port)});
}

CallResult Server::run(const std::string& iface, int port, const std::string& cert, const std::string& key,
                       const std::string& password) {
    step("Запустить(\"" + iface + "\", " + std::to_string(port) + ", \"" + cert + "\", \"" + key + "\", ***)");
    return c_.call("Запустить", {S(iface), I(port), S(cert), S(key), S(password)});
}

CallResult Server::stop() {
    step("Остановить()");
    return c_.call("Остановить");
}

CallResult Server::send(long id, const Variant& body) {
    step("Отправить(" + std::to_string(id) + ", ...)");
    return c_.call("Отправить", {I(int32_t(id)), body});
}

std::optional<Msg> Server::receive(int timeoutMs, CallResult* raw) {
    step("Принять(" + std::to_string(timeoutMs) + ", ...)");
    std::vector<Variant> a{I(timeoutMs), I(0), S("")};
    CallResult r = c_.call("Принять", a);
    bool got = r.isTrue();
    if (raw) *raw = std::move(r);
    if (!got) return std::nullopt;
    Msg m;
    m.id = long(a[1].integer());
    if (a[2].isBlob()) {
        m.binary = true;
        m.bytes = a[2].bytes();
    } else {
        m.text = a[2].str();
        m.wide = a[2].wstr();
    }
    return m;
}

CallResult Server::disconnect(long id) {
    step("Отключить(" + std::to_string(id) + ")");
    return c_.call("Отключить", {I(int32_t(id))});
}

long Server::port() { return long(c_.get("Порт").integer()); }
std::string Server::server() { return c_.get("Сервер").str(); }
std::string Server::connections() { return c_.get("Соединения").str(); }

// ---- fixtures -------------------------------------------------------------------------------------
void AddinTest::SetUp() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    watchdogArm(std::chrono::seconds(150), std::string(info->test_suite_name()) + "." + info->name());
    MemoryManager::instance().clearViolations();
    localBaseline_ = MemoryManager::instance().live();
    const std::string zip = Library::defaultZipPath();
    if (::access(zip.c_str(), R_OK) != 0) {
        const char* req = std::getenv("WEBSOCKET_REQUIRE_ADDIN");
        if (req && *req == '1') FAIL() << "the package " << zip << " does not exist (build.sh makes it)";
        GTEST_SKIP() << "the package " << zip << " does not exist yet (build.sh makes it; set WEBSOCKET_ADDIN_ZIP)";
    }
    try {
        lib_ = &Library::load(zip);
        // The add-in's memory manager: this process's, or the Windows host's under Wine.
        lib_->clearMemoryViolations();
        baseline_ = lib_->memory().live;
    } catch (const std::exception& e) {
        lib_ = nullptr;
        FAIL() << "loading the add-in failed: " << e.what();
    }
}

void AddinTest::TearDown() {
    step("TearDown: Done + DestroyObject");
    try {
        destroyAll();
        if (lib_) {
            MemoryReport m = lib_->memory();
            for (auto& v : m.violations) ADD_FAILURE() << "ABI violation: memory: " << v;
            EXPECT_EQ(m.live, baseline_) << "allocations the add-in handed over that are still live (or that it freed "
                                            "twice), in "
                                         << lib_->where() << ":" << m.liveDescription;
        }
    } catch (const std::exception& e) {
        ADD_FAILURE() << "TearDown: " << e.what();
    }
    // The test's own values (and, in this process, the add-in's) balance too.
    if (!lib_ || lib_->remote()) {
        for (auto& v : MemoryManager::instance().violations()) ADD_FAILURE() << "memory of the test process: " << v;
        EXPECT_EQ(MemoryManager::instance().live(), localBaseline_)
            << "the test's own values still live:" << MemoryManager::instance().describeLive();
    }
    watchdogDisarm();
}

void AddinTest::destroyAll() {
    for (auto& c : comps_) {
        c->destroy();
        for (auto& v : c->abiViolations())
            if (v.rfind("memory: ", 0) != 0) ADD_FAILURE() << "ABI violation: " << v;
    }
    comps_.clear();
}

Component& AddinTest::make(const std::string& lang) {
    Component::Options o;
    o.language = lang;
    o.locale = lang == "ru" ? "ru_RU" : "en_US";
    return make(o);
}

Component& AddinTest::make(const Component::Options& o) {
    step("GetClassObject(" + o.className + ")");
    comps_.push_back(std::make_unique<Component>(*lib_, o));
    return *comps_.back();
}

void PeerTest::SetUp() {
    AddinTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    std::string why;
    if (!Peer::available(kind(), &why)) {
        const char* req = std::getenv("WEBSOCKET_REQUIRE_PEERS");
        if (req && *req == '1') FAIL() << why;
        GTEST_SKIP() << why;
    }
}

std::unique_ptr<Peer> PeerTest::connect(const std::string& url, PeerOptions o, bool expectOpen) {
    o.url = url;
    step(std::string("peer ") + peerKindName(kind()) + " " + url);
    std::unique_ptr<Peer> p;
    try {
        p = std::make_unique<Peer>(kind(), o);
    } catch (const std::exception& e) {
        ADD_FAILURE() << "cannot start the peer: " << e.what();
        return nullptr;
    }
    if (expectOpen && !p->waitOpen(30s)) {
        ADD_FAILURE() << "the peer did not connect to " << url << ": " << p->diagnostics();
        return nullptr;
    }
    return p;
}

long PeerTest::hello(Server& s, Peer& p, const std::string& tag) {
    if (!p.sendText(tag)) {
        ADD_FAILURE() << "cannot command the peer: " << p.diagnostics();
        return 0;
    }
    CallResult raw;
    auto m = s.receive(15000, &raw);
    if (!m) {
        ADD_FAILURE() << "Принять got nothing within 15 s after the peer sent \"" << tag << "\": " << raw.describe()
                      << "\n" << p.diagnostics();
        return 0;
    }
    EXPECT_FALSE(m->binary);
    EXPECT_EQ(m->text, tag);
    EXPECT_GT(m->id, 0);
    return m->id;
}

}  // namespace wstest
