// bench-host: the add-in's side of two scenarios of bench/run.sh that the demo ws-echo-host
// does not cover. Loads the package exactly as 1C does, through the native host library of
// tests/native-host.
//
//   bench-host broadcast [--zip PACKAGE.zip] [--max-connections N] INTERFACE PORT
//       Runs the server and the seed's loop, one thread, as 1C code would:
//           Пока Сервер.Принять(0, ИДКлиента, Данные) Цикл
//               Если СтрНачинаетсяС(Данные, "!broadcast ") Тогда
//                   Сервер.Разослать(Сред(Данные, 12));        // to every open connection
//               Иначе
//                   Сервер.Отправить(ИДКлиента, Данные);
//               КонецЕсли;
//           КонецЦикла;
//       bench/tools/wsbench --mode broadcast sends the command and times the deliveries.
//
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
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "component.h"
#include "library.h"
#include "memory.h"
#include "variant.h"
#include "zip.h"

using namespace host;
using Clock = std::chrono::steady_clock;

namespace {

double ms(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

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

int usage() {
    std::fprintf(stderr,
                 "usage: bench-host broadcast [--zip PACKAGE.zip] [--max-connections N] INTERFACE PORT\n"
                 "       bench-host startup [--zip PACKAGE.zip]\n");
    return 2;
}

int startup(const std::string& zip) {
    // Step by step what Library::load and Component do, each step timed on its own (one process,
    // one measurement: the .NET runtime starts once per process).
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
    obj->setMemManager(static_cast<IMemoryManager*>(&MemoryManager::instance()));
    obj->Init(static_cast<IAddInDefBase*>(platform.get()));
    obj->GetInfo();
    WCHAR_T* ext = nullptr;
    obj->RegisterExtensionAs(&ext);
    MemoryManager::instance().free(ext);
    const std::u16string loc = u"en_US", lang = u"en";
    obj->SetLocale(reinterpret_cast<const WCHAR_T*>(loc.c_str()));
    obj->SetUserInterfaceLanguageCode(reinterpret_cast<const WCHAR_T*>(lang.c_str()));
    auto t4 = Clock::now();
    const std::u16string run = u"Запустить", portName = u"Порт";
    long mRun = obj->FindMethod(reinterpret_cast<const WCHAR_T*>(run.c_str()));
    tVariant args[5];
    args[0] = Variant::str("127.0.0.1").release();
    args[1] = Variant::i4(0).release();
    for (int i = 2; i < 5; ++i) args[i] = Variant::str("").release();
    tVariant ret;
    std::memset(&ret, 0, sizeof ret);
    bool ok = obj->CallAsFunc(mRun, &ret, args, 5) && ret.vt == VTYPE_BOOL && ret.bVal;
    auto t5 = Clock::now();
    for (auto& a : args) freeVariant(a);
    freeVariant(ret);
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

int broadcast(const std::string& zip, long maxConnections, const std::string& iface, int port) {
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

    Library& lib = Library::load(zip);
    Component::Options o;
    o.className = "Server";
    Component server(lib, o);
    if (!server.set("МаксимумСоединений", I(int32_t(maxConnections)))) {
        std::fprintf(stderr, "bench-host: cannot set МаксимумСоединений\n");
        return 1;
    }
    auto r = server.call("Запустить", {S(iface), I(port)});
    if (!r.isTrue()) {
        std::fprintf(stderr, "bench-host: Запустить failed: %s\n", r.errorText().c_str());
        return 1;
    }
    std::printf("ws://%s:%ld/\n", iface.c_str(), long(server.get("Порт").integer()));
    std::fflush(stdout);

    std::atomic<bool> finished{false};
    Component* srv = &server;
    std::thread watcher([&] {
        int sig = 0;
        sigwait(&stopSignals, &sig);
        if (finished) return;
        srv->call("Остановить");
    });

    IComponentBase* obj = server.object();
    const long mReceive = server.findMethod("Принять");
    const long mSend = server.findMethod("Отправить");
    const long mBroadcast = server.findMethod("Разослать");
    if (mReceive < 0 || mSend < 0 || mBroadcast < 0) {
        std::fprintf(stderr, "bench-host: Принять/Отправить/Разослать not found\n");
        return 1;
    }
    static const std::u16string prefix = u"!broadcast ";
    tVariant slots[3];
    std::memset(slots, 0, sizeof slots);
    slots[1].vt = VTYPE_I4;
    slots[2] = Variant::str("").release();
    while (true) {
        tVariant ret;
        std::memset(&ret, 0, sizeof ret);
        slots[0].vt = VTYPE_I4;
        slots[0].lVal = 0;
        bool got = obj->CallAsFunc(mReceive, &ret, slots, 3) && ret.vt == VTYPE_BOOL && ret.bVal;
        freeVariant(ret);
        if (!got) break;
        const tVariant& data = slots[2];
        bool command = data.vt == VTYPE_PWSTR && data.wstrLen >= prefix.size() &&
                       std::memcmp(data.pwstrVal, prefix.data(), prefix.size() * sizeof(char16_t)) == 0;
        if (command) {
            // Разослать(Сред(Данные, 12)): a new 1C string, as the platform would make it.
            std::u16string body(reinterpret_cast<const char16_t*>(data.pwstrVal) + prefix.size(), data.wstrLen - prefix.size());
            tVariant args[2];
            args[0] = Variant::wstr(body).release();
            args[1] = Variant::str("").release();
            std::memset(&ret, 0, sizeof ret);
            obj->CallAsFunc(mBroadcast, &ret, args, 2);
            long queued = ret.vt == VTYPE_I4 ? ret.lVal : ret.vt == VTYPE_R8 ? long(ret.dblVal) : -1;
            freeVariant(ret);
            for (auto& a : args) freeVariant(a);
            std::fprintf(stderr, "bench-host: Разослать queued for %ld connections\n", queued);
        } else {
            tVariant send[2] = {slots[1], slots[2]};
            std::memset(&ret, 0, sizeof ret);
            obj->CallAsFunc(mSend, &ret, send, 2);
            freeVariant(ret);
        }
    }
    for (auto& s : slots) freeVariant(s);
    finished = true;
    pthread_kill(watcher.native_handle(), SIGTERM);
    watcher.join();
    server.destroy();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage();
    std::string mode = argv[1];
    std::string zip = Library::defaultZipPath();
    long maxConnections = 20000;
    std::vector<std::string> pos;
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--zip" && i + 1 < argc) zip = argv[++i];
        else if (a == "--max-connections" && i + 1 < argc) maxConnections = std::stol(argv[++i]);
        else pos.push_back(a);
    }
    try {
        if (mode == "startup" && pos.empty()) return startup(zip);
        if (mode == "broadcast" && pos.size() == 2) return broadcast(zip, maxConnections, pos[0], std::stoi(pos[1]));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-host: %s\n", e.what());
        return 1;
    }
    return usage();
}
