// addin-platform.exe: the 1C platform's side of the Native API, as a Windows program for Wine.
// It loads the package's Windows library (host/library.cpp: MANIFEST.XML, os="Windows"
// arch="x86_64", LoadLibraryW) and drives its objects through host::LocalComponent, the same
// code the Linux host runs, compiled here by mingw-w64 with MSVC x64's vtable layout
// (include/addin/types.h, ADDIN_DESTRUCTOR_PLACEHOLDER). The tests on Linux (host/remote.cpp)
// send one JSON request per line on stdin and read the replies on stdout: each request runs on a
// thread of its own (a Receive(0) may wait while a Stop arrives) and its reply carries its id.
// The end of stdin ends the process at once, whatever the add-in's threads are doing.
#include <windows.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "component.h"
#include "library.h"
#include "memory.h"
#include "wire.h"

using namespace host;
using json = nlohmann::json;

namespace {

std::mutex outMu;
HANDLE out = INVALID_HANDLE_VALUE;

void reply(json r) {
    std::string line = r.dump(-1, ' ', false, json::error_handler_t::replace);
    line += '\n';
    std::lock_guard<std::mutex> lock(outMu);
    const char* p = line.data();
    size_t n = line.size();
    while (n > 0) {
        DWORD wrote = 0;
        DWORD chunk = DWORD(n > (1u << 24) ? (1u << 24) : n);
        if (!::WriteFile(out, p, chunk, &wrote, nullptr) || wrote == 0) ::TerminateProcess(::GetCurrentProcess(), 3);
        p += wrote;
        n -= wrote;
    }
}

// ---- the objects ------------------------------------------------------------------------------------
Library* lib = nullptr;
std::mutex objMu;
std::map<long long, std::shared_ptr<LocalComponent>> objects;
long long nextObj = 0;

// Set by "echoStop": the in-process echo loop of "echoLoop" ends.
std::atomic<bool> echoStopping{false};

std::shared_ptr<LocalComponent> object(const json& req) {
    long long id = req.at("obj").get<long long>();
    std::lock_guard<std::mutex> lock(objMu);
    auto it = objects.find(id);
    if (it == objects.end()) throw std::runtime_error("no object " + std::to_string(id));
    return it->second;
}

std::vector<Variant> values(const json& a) {
    std::vector<Variant> v;
    for (auto& x : a) v.push_back(wire::fromJson(x));
    return v;
}

json valuesJson(const std::vector<Variant>& v) {
    json a = json::array();
    for (auto& x : v) a.push_back(wire::toJson(x.raw()));
    return a;
}

json handle(const json& req) {
    const std::string op = req.at("op").get<std::string>();
    json r;
    if (op == "load") {
        lib = &Library::load(req.at("zip").get<std::string>());
        r = {{"bundleName", lib->bundleName},         {"manifest", lib->manifest},
             {"componentPath", lib->componentPath},   {"extractedPath", lib->extractedPath},
             {"classNames", lib->classNames},         {"capabilitiesReturned", lib->capabilitiesReturned},
             {"attachType", lib->attachType}};
    } else if (op == "create") {
        if (!lib) throw std::runtime_error("create before load");
        auto c = std::make_shared<LocalComponent>(*lib, wire::optionsFromJson(req.at("options")));
        std::lock_guard<std::mutex> lock(objMu);
        long long id = ++nextObj;
        objects[id] = c;
        r = {{"obj", id}, {"info", c->info()}, {"extensionName", c->extensionName()},
             {"initResult", c->initResult()}, {"memResult", c->memResult()}};
    } else if (op == "echoLoop") {
        // The seed's loop inside this process, for the echo benchmark under Wine (bench/tools/
        // wine-echo.sh): Принять(timeout), then Отправить of the same data, until "echoStop". Driven
        // over stdin per call it would measure the pipe, not the add-in.
        auto c = object(req);
        const int timeout = req.value("timeout", 200);
        long long echoed = 0, timeouts = 0;
        echoStopping = false;
        while (!echoStopping) {
            std::vector<Variant> receive{Variant::i4(timeout), Variant::empty(), Variant::empty()};
            if (!c->call("Принять", receive).isTrue()) {
                ++timeouts;
                continue;
            }
            std::vector<Variant> send{receive[1], receive[2]};
            if (c->call("Отправить", send).isTrue()) ++echoed;
        }
        r = {{"echoed", echoed}, {"timeouts", timeouts}};
    } else if (op == "echoStop") {
        echoStopping = true;
    } else if (op == "done") {
        object(req)->done();
    } else if (op == "destroy") {
        object(req)->destroy();
    } else if (op == "release") {
        std::lock_guard<std::mutex> lock(objMu);
        objects.erase(req.at("obj").get<long long>());
    } else if (op == "findMethod") {
        r["result"] = object(req)->findMethod(req.at("name"));
    } else if (op == "findProp") {
        r["result"] = object(req)->findProp(req.at("name"));
    } else if (op == "nMethods") {
        r["result"] = object(req)->nMethods();
    } else if (op == "nProps") {
        r["result"] = object(req)->nProps();
    } else if (op == "methodName") {
        r["result"] = object(req)->methodName(req.at("n"), req.at("alias"));
    } else if (op == "propName") {
        r["result"] = object(req)->propName(req.at("n"), req.at("alias"));
    } else if (op == "nParams") {
        r["result"] = object(req)->nParams(req.at("n"));
    } else if (op == "hasRetVal") {
        r["result"] = object(req)->hasRetVal(req.at("n"));
    } else if (op == "isPropReadable") {
        r["result"] = object(req)->isPropReadable(req.at("n"));
    } else if (op == "isPropWritable") {
        r["result"] = object(req)->isPropWritable(req.at("n"));
    } else if (op == "paramDefValue") {
        Variant v;
        r["result"] = object(req)->paramDefValue(req.at("n"), req.at("param"), &v);
        r["value"] = wire::toJson(v.raw());
    } else if (op == "call" || op == "callAsProc" || op == "callRaw") {
        auto c = object(req);
        std::vector<Variant> args = values(req.at("args"));
        CallResult res = op == "call"         ? c->call(req.at("name"), args)
                         : op == "callAsProc" ? c->callAsProc(req.at("name"), args)
                                              : c->callRaw(req.at("n"), args, req.at("asFunc"));
        r = {{"result", wire::toJson(res)}, {"args", valuesJson(args)}};
    } else if (op == "callRawCount") {
        auto c = object(req);
        long count = req.at("count");
        std::vector<tVariant> slots;
        if (!req.at("args").is_null())
            for (auto& x : req["args"]) slots.push_back(wire::fromJson(x).release());
        CallResult res = c->callRawCount(req.at("n"), slots.empty() ? nullptr : slots.data(), count, req.at("asFunc"));
        json back = json::array();
        for (auto& s : slots) {
            back.push_back(wire::toJson(s));
            freeVariant(s);
        }
        r = {{"result", wire::toJson(res)}, {"args", back}};
    } else if (op == "get") {
        bool ok = false;
        Variant v = object(req)->get(req.at("prop"), &ok);
        r = {{"result", ok}, {"value", wire::toJson(v.raw())}};
    } else if (op == "set") {
        Variant v = wire::fromJson(req.at("value"));
        r["result"] = object(req)->set(req.at("prop"), v);
    } else if (op == "violations") {
        r["violations"] = object(req)->abiViolations();
    } else if (op == "takeEvent") {
        EventRecord e;
        bool got = object(req)->events().takeEvent(&e, std::chrono::milliseconds(req.at("timeoutMs").get<long long>()));
        r = {{"got", got}, {"source", e.source}, {"message", e.message}, {"data", e.data}};
    } else if (op == "events") {
        auto& ev = object(req)->events();
        r = {{"buffered", ev.bufferedEvents()}, {"accepted", ev.eventsAccepted()}, {"refused", ev.eventsRefused()},
             {"depth", ev.eventBufferDepth()}};
    } else if (op == "setEventBufferDepth") {
        r["result"] = object(req)->events().setEventBufferDepth(req.at("depth"));
    } else if (op == "externalEvent") {
        r["result"] = object(req)->events().externalEvent(req.at("source"), req.at("message"), req.at("data"));
    } else if (op == "memory") {
        auto& mm = MemoryManager::instance();
        r = {{"live", mm.live()}, {"liveBytes", mm.liveBytes()}, {"violations", mm.violations()},
             {"liveDescription", mm.describeLive()}};
    } else if (op == "clearMemoryViolations") {
        MemoryManager::instance().clearViolations();
    } else if (op == "refuseAllocations") {
        MemoryManager::instance().refuseAllocations(req.at("count"), req.at("minBytes"));
    } else if (op == "ping") {
    } else {
        throw std::runtime_error("unknown op \"" + op + "\"");
    }
    return r;
}

void run(const json& req) {
    json r;
    try {
        r = handle(req);
    } catch (const std::exception& e) {
        r = {{"error", e.what()}};
    }
    if (!r.is_object()) r = json::object();
    r["id"] = req.value("id", -1LL);
    reply(std::move(r));
}

// ---- the pool: a thread per request in flight, reused ---------------------------------------------
std::mutex poolMu;
std::condition_variable poolCv;
std::deque<json> queue;
int idle = 0;

void worker() {
    std::unique_lock<std::mutex> lock(poolMu);
    while (true) {
        ++idle;
        poolCv.wait(lock, [] { return !queue.empty(); });
        --idle;
        json req = std::move(queue.front());
        queue.pop_front();
        lock.unlock();
        run(req);
        lock.lock();
    }
}

void submit(json req) {
    std::lock_guard<std::mutex> lock(poolMu);
    queue.push_back(std::move(req));
    if (int(queue.size()) > idle) std::thread(worker).detach();
    else poolCv.notify_one();
}

}  // namespace

int main() {
    out = ::GetStdHandle(STD_OUTPUT_HANDLE);
    HANDLE in = ::GetStdHandle(STD_INPUT_HANDLE);
    std::string buf;
    std::vector<char> chunk(1 << 20);
    while (true) {
        DWORD got = 0;
        if (!::ReadFile(in, chunk.data(), DWORD(chunk.size()), &got, nullptr) || got == 0) break;
        size_t scanFrom = buf.size();
        buf.append(chunk.data(), got);
        size_t start = 0;
        for (size_t nl; (nl = buf.find('\n', scanFrom)) != std::string::npos; scanFrom = start = nl + 1) {
            json req = json::parse(buf.begin() + long(start), buf.begin() + long(nl), nullptr, false);
            if (req.is_discarded() || !req.is_object()) {
                reply({{"id", -1}, {"error", "not a JSON object: " + buf.substr(start, std::min<size_t>(nl - start, 200))}});
                continue;
            }
            submit(std::move(req));
        }
        buf.erase(0, start);
    }
    // The tests are gone: end now, without waiting for the add-in's threads or unloading it.
    std::fflush(stderr);
    ::TerminateProcess(::GetCurrentProcess(), 0);
    return 0;
}
