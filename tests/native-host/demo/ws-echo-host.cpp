// ws-echo-host: the seed's echo loop, run by a native host exactly as 1C would run it.
//
//   ws-echo-host [--quiet] [--zip PACKAGE.zip] [--set PROPERTY=NUMBER|true|false]... [INTERFACE [PORT [CERT [KEY [PASSWORD]]]]]
//
// Loads the Linux x86_64 component out of the package (default: $WEBSOCKET_ADDIN_ZIP, else
// <repo>/dist/WebSocket.zip), creates AddIn.WebSocket.Server, calls
// Запустить(INTERFACE, PORT[, CERT, KEY, PASSWORD]) (defaults "0.0.0.0", 8080), prints
// ws://HOST:PORT/ (wss:// with a certificate; PORT read from the Порт property), then runs
//
//     Пока Сервер.Принять(0, ИДКлиента, Данные) Цикл Сервер.Отправить(ИДКлиента, Данные); КонецЦикла;
//
// printing nothing per message. SIGINT/SIGTERM call Остановить() from a watcher thread;
// Принять(0, ...) then returns Ложь, the object is destroyed (Done, DestroyObject) and the
// program exits 0.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "component.h"
#include "library.h"
#include "memory.h"
#include "variant.h"

using namespace host;

namespace {

void usage() {
    std::fprintf(stderr,
                 "usage: ws-echo-host [--quiet] [--zip PACKAGE.zip] [--set PROPERTY=NUMBER|true|false]... [INTERFACE [PORT [CERT [KEY [PASSWORD]]]]]\n"
                 "  defaults: INTERFACE 0.0.0.0, PORT 8080 (0 picks a free port)\n");
}

}  // namespace

int main(int argc, char** argv) {
    bool quiet = false;
    std::string zip;
    std::vector<std::string> pos;
    // --set ТаймаутПинга=0, --set Сжатие=true: set before Запустить (a number, or true/false for Булево).
    std::vector<std::pair<std::string, Variant>> settings;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--quiet" || a == "-q") quiet = true;
        else if (a == "--zip" && i + 1 < argc) zip = argv[++i];
        else if (a == "--set" && i + 1 < argc) {
            std::string kv = argv[++i];
            auto eq = kv.find('=');
            const std::string text = eq == std::string::npos ? "" : kv.substr(eq + 1);
            char* end = nullptr;
            long value = std::strtol(text.c_str(), &end, 10);
            if (eq != std::string::npos && (text == "true" || text == "false")) {
                settings.emplace_back(kv.substr(0, eq), B(text == "true"));
            } else if (eq == std::string::npos || text.empty() || *end != '\0') {
                std::fprintf(stderr, "ws-echo-host: --set wants PROPERTY=NUMBER or PROPERTY=true|false, got %s\n", kv.c_str());
                return 2;
            } else {
                settings.emplace_back(kv.substr(0, eq), I(int32_t(value)));
            }
        }
        else if (a == "--help" || a == "-h") { usage(); return 0; }
        else pos.push_back(a);
    }
    if (pos.size() > 5) { usage(); return 2; }
    const std::string iface = pos.size() > 0 ? pos[0] : "0.0.0.0";
    int port = 8080;
    if (pos.size() > 1) {
        try {
            port = std::stoi(pos[1]);
        } catch (...) {
            std::fprintf(stderr, "ws-echo-host: bad port %s\n", pos[1].c_str());
            return 2;
        }
    }

    // Block the stop signals in every thread (the add-in's threads inherit this mask); one
    // watcher thread takes them with sigwait: no async-signal-safety concerns at all.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

    Library* lib = nullptr;
    std::unique_ptr<Component> server;
    try {
        lib = &Library::load(zip.empty() ? Library::defaultZipPath() : zip);
        Component::Options o;
        o.className = "Server";
        server = std::make_unique<Component>(*lib, o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ws-echo-host: %s\n", e.what());
        return 1;
    }

    for (const auto& [name, value] : settings) {
        if (!server->set(name, value)) {
            std::fprintf(stderr, "ws-echo-host: cannot set %s\n", name.c_str());
            server->destroy();
            return 2;
        }
    }

    std::vector<Variant> runArgs{S(iface), I(port)};
    for (size_t i = 2; i < pos.size(); ++i) runArgs.push_back(S(pos[i]));
    auto r = server->call("Запустить", runArgs);
    if (!r.found || !r.isTrue()) {
        std::fprintf(stderr, "ws-echo-host: Запустить failed: %s\n",
                     r.errorText().empty() ? r.describe().c_str() : r.errorText().c_str());
        server->destroy();
        return 1;
    }
    runArgs.clear();  // 1C's variables go away too: nothing of ours stays in the memory manager
    long realPort = long(server->get("Порт").integer());
    std::string host = iface.empty() ? "0.0.0.0" : iface;
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    const bool tls = pos.size() > 2 && !pos[2].empty();
    std::printf("%s://%s:%ld/\n", tls ? "wss" : "ws", host.c_str(), realPort);
    std::fflush(stdout);

    std::atomic<bool> stopping{false};
    std::atomic<bool> finished{false};
    Component* srv = server.get();
    std::thread watcher([&] {
        int sig = 0;
        sigwait(&stopSignals, &sig);
        if (finished) return;  // woken by main to exit
        stopping = true;
        if (!quiet) std::fprintf(stderr, "ws-echo-host: signal %d, stopping\n", sig);
        srv->call("Остановить");
    });

    // The loop, with the slots kept between calls exactly as 1C keeps its variables.
    IComponentBase* obj = server->object();
    const long mReceive = server->findMethod("Принять");
    const long mSend = server->findMethod("Отправить");
    if (mReceive < 0 || mSend < 0) {
        std::fprintf(stderr, "ws-echo-host: Принять/Отправить not found\n");
        return 1;
    }
    tVariant slots[3];
    std::memset(slots, 0, sizeof slots);
    slots[0].vt = VTYPE_I4;  // Таймаут = 0
    slots[0].lVal = 0;
    slots[1].vt = VTYPE_I4;  // ИДКлиента
    slots[2] = Variant::str("").release();  // Данные = ""
    unsigned long long messages = 0;
    while (true) {
        tVariant ret;
        std::memset(&ret, 0, sizeof ret);
        slots[0].vt = VTYPE_I4;
        slots[0].lVal = 0;
        bool ok = obj->CallAsFunc(mReceive, &ret, slots, 3);
        bool got = ok && ret.vt == VTYPE_BOOL && ret.bVal;
        freeVariant(ret);
        if (!got) break;
        ++messages;
        // Отправить(ИДКлиента, Данные): the same values, as 1C passes its variables.
        tVariant send[2];
        send[0] = slots[1];
        send[1] = slots[2];
        std::memset(&ret, 0, sizeof ret);
        obj->CallAsFunc(mSend, &ret, send, 2);
        freeVariant(ret);
        // Send must not touch its arguments; if it did, keep the bookkeeping right.
        for (int i = 0; i < 2; ++i) {
            const tVariant& was = slots[i + 1];
            if (std::memcmp(&send[i], &was, sizeof(tVariant)) != 0) {
                std::fprintf(stderr, "ws-echo-host: Отправить changed its argument %d\n", i + 1);
                slots[i + 1] = send[i];
            }
        }
    }
    for (auto& s : slots) freeVariant(s);

    finished = !stopping;
    if (!stopping) {
        // The server stopped by itself (or Receive failed): say why, then release the watcher.
        std::string why = server->errorDescription();
        if (!quiet) std::fprintf(stderr, "ws-echo-host: Принять returned Ложь (%s)\n", why.c_str());
        pthread_kill(watcher.native_handle(), SIGTERM);
    }
    watcher.join();
    server->destroy();
    auto violations = server->abiViolations();
    for (auto& v : violations) std::fprintf(stderr, "ws-echo-host: ABI violation: %s\n", v.c_str());
    long live = MemoryManager::instance().live();
    if (!quiet) std::fprintf(stderr, "ws-echo-host: %llu messages echoed, %ld allocations still live%s\n", messages, live,
                             live ? MemoryManager::instance().describeLive().c_str() : "");
    return stopping ? 0 : 1;
}
