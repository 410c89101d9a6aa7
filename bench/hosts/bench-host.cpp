// bench-host: the add-in's side of bench/run.sh, driving AddIn.WebSocket.Server the way the 1C
// platform drives it. The package is loaded through the native host library of tests/native-host
// (ZIP, MANIFEST.XML, dlopen, GetClassNames, SetPlatformCapabilities, GetAttachType); the objects
// are then created and called here, through their vtables, with a memory manager of our own that
// behaves like the platform's (see PlatformHeap below).
//
//   bench-host echo [OPTIONS] INTERFACE PORT [CERT [KEY [PASSWORD]]]
//       The seed's loop on the main thread, as 1C code runs it:
//           Пока Истина Цикл
//               Если Сервер.Принять(Таймаут, ИДКлиента, Данные) Тогда
//                   Сервер.Отправить(ИДКлиента, Данные);
//               КонецЕсли;
//           КонецЦикла;
//       Prints ws://HOST:PORT/ (wss:// with a certificate) first. SIGINT/SIGTERM: a watcher thread
//       calls Остановить (the loop ends), the object is destroyed, and one line
//       "HOSTSTATS key=value ..." goes to stderr: messages, Receive calls that timed out, the loop
//       thread's CPU time (CLOCK_THREAD_CPUTIME_ID) and voluntary context switches, per message,
//       and the memory manager's counts (live blocks must be 0).
//   bench-host broadcast [OPTIONS] INTERFACE PORT
//       The same loop; a text "!broadcast BODY" is answered by Разослать(BODY) instead of an echo.
//   bench-host soak [OPTIONS] [--seconds N] [--cycle S] [--recreate S] INTERFACE PORT_A PORT_B
//       The long soak's server (bench/tools/soak.py drives it): object A on PORT_A runs the loop
//       on the main thread and every --cycle seconds calls Остановить and Запустить on the same
//       port from the loop; object B on PORT_B runs the loop on a second thread (another 1C
//       session) and every --recreate seconds is destroyed (Done + DestroyObject) during traffic,
//       with connections open and messages queued, and created and started again. At the end
//       (N seconds or SIGTERM) both are destroyed and HOSTSTATS reports the memory manager.
//   bench-host startup [--zip PACKAGE.zip]
//       One process, one measurement of what the platform does to start a server:
//         unzip    reading the package (MANIFEST.XML, the library) and writing the library out
//                  (1C does this once per component version and keeps it in its cache),
//         dlopen   dlopen(RTLD_NOW) + dlsym of the entry points,
//         runtime  GetClassNames, SetPlatformCapabilities, GetAttachType: the first call into the
//                  library starts the .NET runtime,
//         object   GetClassObject("Server") + setMemManager + Init + GetInfo + RegisterExtensionAs
//                  + SetLocale + SetUserInterfaceLanguageCode (the first object),
//         run      Запустить("127.0.0.1", 0) until the port accepts a TCP connection.
//       load_object_ms = dlopen + runtime + object (the "load plus first object" of issue 4).
//
// OPTIONS: --zip PACKAGE.zip; --timeout MS (Receive's Таймаут, 200; 0 waits without end as
// ws-echo-host does); --set PROPERTY=VALUE (before Запустить; a number, Истина/Ложь/true/false,
// or "text" in quotes), repeatable; --max-connections N (broadcast, 20000).
//
// How a call is made, as the platform makes it (docs/benchmarks.md, "The bench host"):
//   - every argument is a fresh tVariant; a Строка argument is a copy of the 1C string in a
//     buffer from the memory manager (the add-in may free it when it overwrites the slot);
//   - after the call every slot is copied back into the "1C variables" (a std::u16string for a
//     Строка, a double for a Число), and every string buffer left in the slots and the result is
//     freed through the memory manager: nothing lives from one call to the next but the variables.
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "component.h"
#include "library.h"
#include "memory.h"
#include "platform.h"
#include "utf.h"
#include "variant.h"
#include "zip.h"

using namespace host;
using Clock = std::chrono::steady_clock;

namespace {

double ms(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

int usage() {
    std::fprintf(stderr,
                 "usage: bench-host echo [OPTIONS] INTERFACE PORT [CERT [KEY [PASSWORD]]]\n"
                 "       bench-host broadcast [OPTIONS] [--max-connections N] INTERFACE PORT\n"
                 "       bench-host soak [OPTIONS] [--seconds N] [--cycle S] [--recreate S] INTERFACE PORT_A PORT_B\n"
                 "       bench-host startup [--zip PACKAGE.zip]\n"
                 "OPTIONS: --zip PACKAGE.zip  --timeout MS (Принять's Таймаут, 200)  --set PROPERTY=VALUE ...\n");
    return 2;
}

// ---- the platform's memory manager ------------------------------------------------------------

/// What the add-in sees as the platform's IMemoryManager: one process-wide mutex around the
/// allocator (as a platform allocator shared by every thread of rphost), a 16-byte header with
/// the size, thread-safe counts. No leak map and no guard bytes (tests/native-host's
/// MemoryManager checks those; here they would be cost the platform does not have).
class PlatformHeap final : public IMemoryManager {
public:
    static PlatformHeap& instance() {
        static PlatformHeap* heap = new PlatformHeap();  // never destroyed: late frees stay safe
        return *heap;
    }

    bool ADDIN_API AllocMemory(void** pMemory, unsigned long ulCountByte) override {
        if (!pMemory) return false;
        *pMemory = alloc(ulCountByte);
        return *pMemory != nullptr;
    }
    void ADDIN_API FreeMemory(void** pMemory) override {
        if (!pMemory) return;
        free(*pMemory);
        *pMemory = nullptr;
    }

    void* alloc(size_t bytes) {
        Header* h;
        {
            std::lock_guard<std::mutex> lock(mu_);
            h = static_cast<Header*>(std::malloc(sizeof(Header) + bytes));
        }
        if (!h) return nullptr;
        h->magic = kLive;
        h->size = bytes;
        live_.fetch_add(1, std::memory_order_relaxed);
        liveBytes_.fetch_add((long long)bytes, std::memory_order_relaxed);
        allocs_.fetch_add(1, std::memory_order_relaxed);
        return h + 1;
    }
    void free(void* p) {
        if (!p) return;
        Header* h = static_cast<Header*>(p) - 1;
        if (h->magic != kLive) {  // a double free or memory that is not ours: counted, never freed
            foreign_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        h->magic = kFreed;
        live_.fetch_sub(1, std::memory_order_relaxed);
        liveBytes_.fetch_sub((long long)h->size, std::memory_order_relaxed);
        frees_.fetch_add(1, std::memory_order_relaxed);
        std::lock_guard<std::mutex> lock(mu_);
        std::free(h);
    }

    long long live() const { return live_.load(); }
    long long liveBytes() const { return liveBytes_.load(); }
    long long allocs() const { return allocs_.load(); }
    long long frees() const { return frees_.load(); }
    long long foreign() const { return foreign_.load(); }

private:
    struct alignas(16) Header {
        uint64_t magic;
        uint64_t size;
    };
    static constexpr uint64_t kLive = 0x4C49564548454150ull, kFreed = 0x4652454548454150ull;
    PlatformHeap() = default;
    ADDIN_DESTRUCTOR_OVERRIDE(PlatformHeap) = default;
    std::mutex mu_;
    std::atomic<long long> live_{0}, liveBytes_{0}, allocs_{0}, frees_{0}, foreign_{0};
};

PlatformHeap& heap() { return PlatformHeap::instance(); }

// ---- values as the platform passes them ---------------------------------------------------------

/// A 1C variable: Неопределено, Число, Булево or Строка (what the loop needs).
struct Value {
    enum Kind { Empty, Number, Boolean, String, Binary } kind = Empty;
    double number = 0;
    bool boolean = false;
    std::u16string text;
    std::string bytes;
    static Value num(double v) { Value x; x.kind = Number; x.number = v; return x; }
    static Value str(const std::u16string& s) { Value x; x.kind = String; x.text = s; return x; }
    static Value boo(bool b) { Value x; x.kind = Boolean; x.boolean = b; return x; }
};

/// The tVariant the platform builds for a 1C value: Строка/ДвоичныеДанные as a copy in a buffer
/// of the memory manager.
tVariant toVariant(const Value& v) {
    tVariant t;
    std::memset(&t, 0, sizeof t);
    switch (v.kind) {
    case Value::Empty: t.vt = VTYPE_EMPTY; break;
    case Value::Number:
        if (v.number == (double)(int32_t)v.number) { t.vt = VTYPE_I4; t.lVal = (int32_t)v.number; }
        else { t.vt = VTYPE_R8; t.dblVal = v.number; }
        break;
    case Value::Boolean: t.vt = VTYPE_BOOL; t.bVal = v.boolean; break;
    case Value::String: {
        auto* p = static_cast<char16_t*>(heap().alloc((v.text.size() + 1) * sizeof(char16_t)));
        std::memcpy(p, v.text.data(), v.text.size() * sizeof(char16_t));
        p[v.text.size()] = 0;
        t.vt = VTYPE_PWSTR;
        t.pwstrVal = reinterpret_cast<WCHAR_T*>(p);
        t.wstrLen = uint32_t(v.text.size());
        break;
    }
    case Value::Binary: {
        auto* p = static_cast<char*>(heap().alloc(v.bytes.size() ? v.bytes.size() : 1));
        std::memcpy(p, v.bytes.data(), v.bytes.size());
        t.vt = VTYPE_BLOB;
        t.pstrVal = p;
        t.strLen = uint32_t(v.bytes.size());
        break;
    }
    }
    return t;
}

/// The slot copied back into a 1C variable (a new 1C string: a copy).
Value fromVariant(const tVariant& t) {
    switch (t.vt) {
    case VTYPE_I4: return Value::num(t.lVal);
    case VTYPE_I8: return Value::num(double(t.llVal));
    case VTYPE_R8: return Value::num(t.dblVal);
    case VTYPE_BOOL: return Value::boo(t.bVal);
    case VTYPE_PWSTR: return Value::str(std::u16string(reinterpret_cast<const char16_t*>(t.pwstrVal), t.wstrLen));
    case VTYPE_BLOB: case VTYPE_PSTR: {
        Value x;
        x.kind = Value::Binary;
        x.bytes.assign(t.pstrVal ? t.pstrVal : "", t.strLen);
        return x;
    }
    default: return Value{};
    }
}

void release(tVariant& t) {
    if ((t.vt == VTYPE_PWSTR && t.pwstrVal) || ((t.vt == VTYPE_PSTR || t.vt == VTYPE_BLOB) && t.pstrVal)) {
        heap().free(t.vt == VTYPE_PWSTR ? static_cast<void*>(t.pwstrVal) : static_cast<void*>(t.pstrVal));
    }
    std::memset(&t, 0, sizeof t);
}

std::u16string u(const std::string& s) { return toUtf16(s); }

// ---- one object, driven through its vtables ----------------------------------------------------

class Object {
public:
    Object(Library& lib, const std::string& cls) : lib_(lib), platform_(std::make_shared<Platform>()) {
        {
            // Platform objects outlive their add-in objects (a late call from a background thread
            // must find them), as in the harness.
            static std::mutex mu;
            static std::vector<std::shared_ptr<Platform>> keep;
            std::lock_guard<std::mutex> lock(mu);
            keep.push_back(platform_);
        }
        auto name = u(cls);
        if (!lib.getClassObject(reinterpret_cast<const WCHAR_T*>(name.c_str()), &obj_) || !obj_)
            throw std::runtime_error("GetClassObject(" + cls + ") failed");
        obj_->setMemManager(static_cast<IMemoryManager*>(&heap()));
        obj_->Init(static_cast<IAddInDefBase*>(platform_.get()));
        obj_->GetInfo();
        WCHAR_T* ext = nullptr;
        obj_->RegisterExtensionAs(&ext);
        heap().free(ext);
        auto loc = u("ru_RU"), lang = u("ru");
        obj_->SetLocale(reinterpret_cast<const WCHAR_T*>(loc.c_str()));
        obj_->SetUserInterfaceLanguageCode(reinterpret_cast<const WCHAR_T*>(lang.c_str()));
    }
    ~Object() { destroy(); }
    Object(const Object&) = delete;
    Object& operator=(const Object&) = delete;

    /// Done + DestroyObject, as the platform does when the last 1C reference goes away.
    void destroy() {
        if (!obj_) return;
        obj_->Done();
        lib_.destroyObject(&obj_);
        obj_ = nullptr;
    }

    long method(const std::string& name) {
        auto n = u(name);
        long m = obj_->FindMethod(reinterpret_cast<const WCHAR_T*>(n.c_str()));
        if (m < 0) throw std::runtime_error("no method " + name);
        return m;
    }
    long prop(const std::string& name) {
        auto n = u(name);
        return obj_->FindProp(reinterpret_cast<const WCHAR_T*>(n.c_str()));
    }

    /// Сервер.Метод(args...): args are the caller's variables, copied back after the call.
    /// Returns the result (Булево etc.); ok = what CallAsFunc returned (false: 1C raises).
    Value call(long m, std::vector<Value*> args, bool* ok = nullptr) {
        tVariant slots[8];
        size_t n = args.size();
        for (size_t i = 0; i < n; ++i) slots[i] = toVariant(*args[i]);
        tVariant ret;
        std::memset(&ret, 0, sizeof ret);
        bool r = obj_->CallAsFunc(m, &ret, n ? slots : nullptr, long(n));
        if (ok) *ok = r;
        for (size_t i = 0; i < n; ++i) {
            // Copy back what the add-in wrote (Число, Строка, ...); an argument left as it was is
            // the caller's own value again.
            if (args[i]->kind == Value::String && slots[i].vt == VTYPE_PWSTR && slots[i].wstrLen == args[i]->text.size() &&
                std::memcmp(slots[i].pwstrVal, args[i]->text.data(), slots[i].wstrLen * 2) == 0) {
                // unchanged
            } else if (args[i]->kind == Value::Number && (slots[i].vt == VTYPE_I4 || slots[i].vt == VTYPE_R8) &&
                       fromVariant(slots[i]).number == args[i]->number) {
                // unchanged
            } else {
                // A new 1C value replaces the old one and the old one's memory goes with it. (An
                // assignment would keep the old string's capacity: after a 16 MiB message the loop's
                // Данные held 32 MiB while it was "", which the burst measured as ours.)
                Value fresh = fromVariant(slots[i]);
                std::swap(*args[i], fresh);
            }
            release(slots[i]);
        }
        Value result = fromVariant(ret);
        release(ret);
        return result;
    }
    Value call(const std::string& name, std::vector<Value*> args, bool* ok = nullptr) { return call(method(name), std::move(args), ok); }

    bool set(const std::string& name, const Value& v) {
        long p = prop(name);
        if (p < 0) return false;
        tVariant t = toVariant(v);
        bool ok = obj_->SetPropVal(p, &t);
        release(t);
        return ok;
    }
    Value get(const std::string& name) {
        long p = prop(name);
        if (p < 0) return Value{};
        tVariant t;
        std::memset(&t, 0, sizeof t);
        obj_->GetPropVal(p, &t);
        Value v = fromVariant(t);
        release(t);
        return v;
    }
    /// The last AddError text (and forget the recorded ones: a soak must not grow them).
    std::string lastError() const {
        auto errors = platform_->errors();
        platform_->clearErrors();
        return errors.empty() ? std::string() : errors.back().descr;
    }

private:
    Library& lib_;
    std::shared_ptr<Platform> platform_;
    IComponentBase* obj_ = nullptr;
};

// ---- options ----------------------------------------------------------------------------------

struct Options {
    std::string zip = Library::defaultZipPath();
    int timeoutMs = 200;
    long maxConnections = 20000;
    double seconds = 0, cycle = 60, recreate = 90;
    std::vector<std::pair<std::string, Value>> settings;
    std::vector<std::string> pos;
};

Value parseSetting(const std::string& v) {
    if (v == "Истина" || v == "true" || v == "True") return Value::boo(true);
    if (v == "Ложь" || v == "false" || v == "False") return Value::boo(false);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return Value::str(u(v.substr(1, v.size() - 2)));
    char* end = nullptr;
    double d = std::strtod(v.c_str(), &end);
    if (end != v.c_str() && *end == 0) return Value::num(d);
    return Value::str(u(v));
}

bool applySettings(Object& server, const Options& o) {
    for (auto& [name, value] : o.settings) {
        if (!server.set(name, value)) {
            std::fprintf(stderr, "bench-host: cannot set %s: %s\n", name.c_str(), server.lastError().c_str());
            return false;
        }
    }
    return true;
}

bool run(Object& server, const std::string& iface, int port, const std::vector<std::string>& tls) {
    std::vector<Value> vals{Value::str(u(iface)), Value::num(port)};
    for (auto& s : tls) vals.push_back(Value::str(u(s)));
    std::vector<Value*> args;
    for (auto& v : vals) args.push_back(&v);
    bool ok = false;
    Value r = server.call("Запустить", args, &ok);
    if (!ok || r.kind != Value::Boolean || !r.boolean) {
        std::fprintf(stderr, "bench-host: Запустить(%s, %d) failed: %s\n", iface.c_str(), port, server.lastError().c_str());
        return false;
    }
    return true;
}

double threadCpuNs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

struct LoopStats {
    unsigned long long messages = 0, timeouts = 0, sendFailed = 0, broadcasts = 0;
    double cpuNs = 0;
    long voluntarySwitches = 0, involuntarySwitches = 0;
};

/// The seed's loop on the calling thread until `stop` is set (the watcher sets it, then calls
/// Остановить: Receive returns False at once from then on). `between`, when given, runs after
/// every Receive (the soak's clock checks).
LoopStats seedLoop(Object& server, int timeoutMs, const std::atomic<bool>& stop, bool broadcast,
                   const std::function<void()>& between = nullptr) {
    LoopStats s;
    rusage ru0{}, ru1{};
    getrusage(RUSAGE_THREAD, &ru0);
    double cpu0 = threadCpuNs();
    const long mReceive = server.method("Принять"), mSend = server.method("Отправить");
    const long mBroadcast = broadcast ? server.method("Разослать") : -1;
    static const std::u16string prefix = u"!broadcast ";
    Value timeout = Value::num(timeoutMs), id = Value::num(0), data = Value::str(u""), ret;
    while (!stop.load(std::memory_order_relaxed)) {
        Value got = server.call(mReceive, {&timeout, &id, &data});
        if (got.kind == Value::Boolean && got.boolean) {
            ++s.messages;
            if (broadcast && data.kind == Value::String && data.text.compare(0, prefix.size(), prefix) == 0) {
                Value body = Value::str(data.text.substr(prefix.size()));  // Сред(Данные, 12)
                server.call(mBroadcast, {&body});
                ++s.broadcasts;
            } else {
                Value sent = server.call(mSend, {&id, &data});
                if (!(sent.kind == Value::Boolean && sent.boolean)) ++s.sendFailed;
            }
        } else {
            ++s.timeouts;
        }
        if (between) between();
    }
    s.cpuNs = threadCpuNs() - cpu0;
    getrusage(RUSAGE_THREAD, &ru1);
    s.voluntarySwitches = ru1.ru_nvcsw - ru0.ru_nvcsw;
    s.involuntarySwitches = ru1.ru_nivcsw - ru0.ru_nivcsw;
    return s;
}

void printHeap(FILE* f) {
    std::fprintf(f, " heap_live=%lld heap_live_bytes=%lld heap_allocs=%lld heap_frees=%lld heap_foreign=%lld", heap().live(),
                 heap().liveBytes(), heap().allocs(), heap().frees(), heap().foreign());
}

void printLoop(FILE* f, const char* tag, const LoopStats& s) {
    double per = s.messages ? s.cpuNs / double(s.messages) : 0;
    std::fprintf(f, " %smessages=%llu %stimeouts=%llu %ssend_failed=%llu %sloop_cpu_ms=%.1f %sloop_cpu_ns_per_msg=%.0f "
                 "%sloop_sleeps_per_msg=%.3f %sloop_preempted=%ld",
                 tag, s.messages, tag, s.timeouts, tag, s.sendFailed, tag, s.cpuNs / 1e6, tag, per, tag,
                 s.messages ? double(s.voluntarySwitches) / double(s.messages) : 0.0, tag, s.involuntarySwitches);
}

sigset_t blockStopSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);  // the add-in's threads inherit the mask
    return set;
}

// ---- echo / broadcast ---------------------------------------------------------------------------

int serve(const Options& o, bool broadcast) {
    if (o.pos.size() < 2 || o.pos.size() > 5) return usage();
    sigset_t stopSignals = blockStopSignals();
    const std::string iface = o.pos[0];
    const int port = std::stoi(o.pos[1]);
    std::vector<std::string> tls(o.pos.begin() + 2, o.pos.end());
    Library& lib = Library::load(o.zip);
    auto server = std::make_unique<Object>(lib, "Server");
    Options oo = o;
    if (broadcast) oo.settings.insert(oo.settings.begin(), {"МаксимумСоединений", Value::num(double(o.maxConnections))});
    if (!applySettings(*server, oo)) return 2;
    if (!run(*server, iface, port, tls)) return 1;
    Value p = server->get("Порт");
    std::string host = iface.empty() ? "0.0.0.0" : iface;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    std::printf("%s://%s:%ld/\n", tls.empty() || tls[0].empty() ? "ws" : "wss", host.c_str(), long(p.number));
    std::fflush(stdout);

    std::atomic<bool> stop{false}, finished{false};
    Object* srv = server.get();
    std::thread watcher([&] {
        int sig = 0;
        sigwait(&stopSignals, &sig);
        if (finished) return;
        stop = true;
        srv->call("Остановить", {});  // from another thread, as a 1C session ending would
    });
    LoopStats s = seedLoop(*server, o.timeoutMs, stop, broadcast);
    finished = true;
    watcher.join();
    server->destroy();
    server.reset();
    std::fprintf(stderr, "HOSTSTATS mode=%s timeout_ms=%d", broadcast ? "broadcast" : "echo", o.timeoutMs);
    printLoop(stderr, "", s);
    printHeap(stderr);
    std::fprintf(stderr, "\n");
    std::fflush(stderr);
    _exit(heap().live() == 0 && heap().foreign() == 0 ? 0 : 3);  // the runtime's threads go with the process
}

// ---- soak ------------------------------------------------------------------------------------------

int soak(const Options& o) {
    if (o.pos.size() != 3) return usage();
    sigset_t stopSignals = blockStopSignals();
    const std::string iface = o.pos[0];
    const int portA = std::stoi(o.pos[1]), portB = std::stoi(o.pos[2]);
    Library& lib = Library::load(o.zip);
    std::atomic<bool> stop{false};
    std::atomic<long> cycles{0}, cycleFailures{0}, recreations{0}, recreateFailures{0};
    std::mutex printMu;
    auto note = [&](const std::string& what) {
        std::lock_guard<std::mutex> lock(printMu);
        std::fprintf(stderr, "bench-host: %s\n", what.c_str());
    };

    auto a = std::make_unique<Object>(lib, "Server");
    if (!applySettings(*a, o) || !run(*a, iface, portA, {})) return 1;
    std::printf("ws://%s:%d/ ws://%s:%d/\n", iface.c_str(), portA, iface.c_str(), portB);
    std::fflush(stdout);

    LoopStats sb;
    std::atomic<long long> bMessages{0};
    std::thread b([&] {
        // Another 1C session: its object lives for --recreate seconds, then goes away during
        // traffic (the session ends) and a new one takes the port.
        while (!stop) {
            std::unique_ptr<Object> obj;
            try {
                obj = std::make_unique<Object>(lib, "Server");
            } catch (const std::exception& e) {
                note(std::string("B: ") + e.what());
                ++recreateFailures;
                std::this_thread::sleep_for(std::chrono::seconds(1));
                continue;
            }
            bool up = applySettings(*obj, o) && run(*obj, iface, portB, {});
            if (!up) {
                ++recreateFailures;
                obj.reset();
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
                continue;
            }
            std::atomic<bool> end{false};
            auto until = Clock::now() + std::chrono::milliseconds(long(o.recreate * 1000));
            LoopStats s = seedLoop(*obj, o.timeoutMs, end, false, [&] {
                if (stop || Clock::now() >= until) end = true;
            });
            sb.messages += s.messages;
            sb.timeouts += s.timeouts;
            sb.sendFailed += s.sendFailed;
            sb.cpuNs += s.cpuNs;
            sb.voluntarySwitches += s.voluntarySwitches;
            sb.involuntarySwitches += s.involuntarySwitches;
            bMessages = (long long)sb.messages;
            obj->destroy();  // Done + DestroyObject with clients connected, without Остановить
            obj.reset();
            ++recreations;
        }
    });

    std::atomic<bool> finished{false};
    std::thread watcher([&] {
        int sig = 0;
        sigwait(&stopSignals, &sig);
        if (finished) return;
        stop = true;
    });
    const auto start = Clock::now();
    auto nextCycle = start + std::chrono::milliseconds(long(o.cycle * 1000));
    const auto end = o.seconds > 0 ? start + std::chrono::milliseconds(long(o.seconds * 1000)) : Clock::time_point::max();
    LoopStats sa;
    while (!stop) {
        std::atomic<bool> leave{false};
        auto check = [&] {
            auto now = Clock::now();
            if (stop || now >= end) { stop = true; leave = true; }
            if (now >= nextCycle) leave = true;
        };
        LoopStats s = seedLoop(*a, o.timeoutMs, leave, false, check);
        sa.messages += s.messages; sa.timeouts += s.timeouts; sa.sendFailed += s.sendFailed; sa.cpuNs += s.cpuNs;
        sa.voluntarySwitches += s.voluntarySwitches; sa.involuntarySwitches += s.involuntarySwitches;
        if (stop) break;
        // 1C code restarting its server: Остановить, take what is left, Запустить on the same port.
        a->call("Остановить", {});
        Value id = Value::num(0), data = Value::str(u"");
        Value ms0 = Value::num(1);
        while (true) {
            Value got = a->call("Принять", {&ms0, &id, &data});
            if (!(got.kind == Value::Boolean && got.boolean)) break;
        }
        if (!run(*a, iface, portA, {})) {
            ++cycleFailures;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            if (!run(*a, iface, portA, {})) { note("A: Запустить failed twice"); stop = true; break; }
        }
        ++cycles;
        nextCycle = Clock::now() + std::chrono::milliseconds(long(o.cycle * 1000));
    }
    stop = true;
    b.join();
    finished = true;
    pthread_kill(watcher.native_handle(), SIGTERM);
    watcher.join();
    a->call("Остановить", {});
    a->destroy();
    a.reset();
    std::fprintf(stderr, "HOSTSTATS mode=soak timeout_ms=%d seconds=%.1f cycles=%ld cycle_failures=%ld recreations=%ld recreate_failures=%ld",
                 o.timeoutMs, ms(start, Clock::now()) / 1000, cycles.load(), cycleFailures.load(), recreations.load(), recreateFailures.load());
    printLoop(stderr, "a_", sa);
    printLoop(stderr, "b_", sb);
    printHeap(stderr);
    std::fprintf(stderr, "\n");
    std::fflush(stderr);
    _exit(heap().live() == 0 && heap().foreign() == 0 ? 0 : 3);
}

// ---- startup ---------------------------------------------------------------------------------------

bool accepts(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

int startup(const std::string& zip) {
    // Step by step what Library::load and creating an object do, each step timed on its own (one
    // process, one measurement: the .NET runtime starts once per process).
    auto t0 = Clock::now();
    std::string soPath;
    {
        ZipReader reader(zip);
        const ManifestComponent* pick = nullptr;
        auto comps = parseManifest(reader.readText("MANIFEST.XML"));
        for (auto& c : comps)
            if (iequalsAscii(c.os, "Linux") && iequalsAscii(c.arch, "x86_64")) pick = &c;
        if (!pick || !reader.find(pick->path)) throw std::runtime_error("no Linux x86_64 component in " + zip);
        auto bytes = reader.read(*reader.find(pick->path));
        char dir[] = "/tmp/bench-startup-XXXXXX";
        if (!::mkdtemp(dir)) throw std::runtime_error("mkdtemp failed");
        soPath = std::string(dir) + "/WebSocket_x64.so";
        FILE* f = std::fopen(soPath.c_str(), "wb");
        if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) throw std::runtime_error("cannot write " + soPath);
        std::fclose(f);
    }
    auto t1 = Clock::now();
    void* h = ::dlopen(soPath.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) throw std::runtime_error(std::string("dlopen: ") + ::dlerror());
    auto getClassObject = reinterpret_cast<GetClassObjectPtr>(::dlsym(h, "GetClassObject"));
    auto getClassNames = reinterpret_cast<GetClassNamesPtr>(::dlsym(h, "GetClassNames"));
    auto setCaps = reinterpret_cast<SetPlatformCapabilitiesPtr>(::dlsym(h, "SetPlatformCapabilities"));
    auto getAttach = reinterpret_cast<GetAttachTypePtr>(::dlsym(h, "GetAttachType"));
    if (!getClassObject || !getClassNames) throw std::runtime_error("entry points missing");
    auto t2 = Clock::now();
    getClassNames();  // the first call into the library: the .NET runtime starts here
    if (setCaps) setCaps(eAppCapabilities3);
    if (getAttach) getAttach();
    auto t3 = Clock::now();
    auto platform = std::make_shared<Platform>();
    IComponentBase* obj = nullptr;
    const std::u16string cls = u"Server";
    if (!getClassObject(reinterpret_cast<const WCHAR_T*>(cls.c_str()), &obj) || !obj) throw std::runtime_error("GetClassObject failed");
    obj->setMemManager(static_cast<IMemoryManager*>(&heap()));
    obj->Init(static_cast<IAddInDefBase*>(platform.get()));
    obj->GetInfo();
    WCHAR_T* ext = nullptr;
    obj->RegisterExtensionAs(&ext);
    heap().free(ext);
    const std::u16string loc = u"ru_RU", lang = u"ru";
    obj->SetLocale(reinterpret_cast<const WCHAR_T*>(loc.c_str()));
    obj->SetUserInterfaceLanguageCode(reinterpret_cast<const WCHAR_T*>(lang.c_str()));
    auto t4 = Clock::now();
    const std::u16string runName = u"Запустить", portName = u"Порт";
    long mRun = obj->FindMethod(reinterpret_cast<const WCHAR_T*>(runName.c_str()));
    Value iface = Value::str(u"127.0.0.1"), port0 = Value::num(0);
    tVariant args[2] = {toVariant(iface), toVariant(port0)};
    tVariant ret;
    std::memset(&ret, 0, sizeof ret);
    bool ok = obj->CallAsFunc(mRun, &ret, args, 2) && ret.vt == VTYPE_BOOL && ret.bVal;
    auto t5 = Clock::now();
    for (auto& a : args) release(a);
    release(ret);
    if (!ok) throw std::runtime_error("Запустить failed");
    tVariant portVal;
    std::memset(&portVal, 0, sizeof portVal);
    obj->GetPropVal(obj->FindProp(reinterpret_cast<const WCHAR_T*>(portName.c_str())), &portVal);
    int port = portVal.vt == VTYPE_I4 ? portVal.lVal : int(portVal.dblVal);
    while (!accepts(port)) std::this_thread::sleep_for(std::chrono::microseconds(100));
    auto t6 = Clock::now();
    std::printf("RESULT mode=startup what=inprocess unzip_ms=%.3f dlopen_ms=%.3f runtime_ms=%.3f object_ms=%.3f "
                "load_object_ms=%.3f run_call_ms=%.3f run_ms=%.3f total_ms=%.3f errors=0\n",
                ms(t0, t1), ms(t1, t2), ms(t2, t3), ms(t3, t4), ms(t1, t4), ms(t4, t5), ms(t4, t6), ms(t1, t6));
    std::fflush(stdout);
    obj->Done();
    ::unlink(soPath.c_str());
    ::rmdir(soPath.substr(0, soPath.rfind('/')).c_str());
    _exit(0);  // the runtime's threads go with the process, as when 1C exits
}


}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage();
    std::string mode = argv[1];
    Options o;
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error(a + " wants a value");
            return argv[++i];
        };
        try {
            if (a == "--zip") o.zip = next();
            else if (a == "--timeout") o.timeoutMs = std::stoi(next());
            else if (a == "--max-connections") o.maxConnections = std::stol(next());
            else if (a == "--seconds") o.seconds = std::stod(next());
            else if (a == "--cycle") o.cycle = std::stod(next());
            else if (a == "--recreate") o.recreate = std::stod(next());
            else if (a == "--set") {
                std::string kv = next();
                auto eq = kv.find('=');
                if (eq == std::string::npos) throw std::runtime_error("--set wants PROPERTY=VALUE");
                o.settings.emplace_back(kv.substr(0, eq), parseSetting(kv.substr(eq + 1)));
            } else o.pos.push_back(a);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "bench-host: %s\n", e.what());
            return 2;
        }
    }
    try {
        if (mode == "startup" && o.pos.empty()) return startup(o.zip);
        if (mode == "echo") return serve(o, false);
        if (mode == "broadcast") return serve(o, true);
        if (mode == "soak") return soak(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-host: %s\n", e.what());
        return 1;
    }
    return usage();
}
