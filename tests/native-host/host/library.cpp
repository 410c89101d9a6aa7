#include "library.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <regex>
#include <stdexcept>

#include "component.h"
#include "memory.h"
#include "utf.h"
#include "zip.h"
#ifndef _WIN32
#include "remote.h"
#include "util.h"
#endif

#ifndef WEBSOCKET_REPO_DIR
#define WEBSOCKET_REPO_DIR "."
#endif

namespace host {

namespace {

std::string attr(const std::string& tag, const std::string& name) {
    // name="value" or name='value'
    std::regex re("\\b" + name + "\\s*=\\s*(\"([^\"]*)\"|'([^']*)')", std::regex::icase);
    std::smatch m;
    if (std::regex_search(tag, m, re)) return m[2].matched ? m[2].str() : m[3].str();
    return {};
}

#ifdef _WIN32
const char* kOs = "Windows";  // what this build of the platform is
std::wstring wide(const std::string& s) {
    std::u16string w = toUtf16(s);
    return std::wstring(w.begin(), w.end());
}
std::string lastError() { return std::to_string(::GetLastError()); }
#else
const char* kOs = "Linux";
std::vector<std::string> extractedFiles;
std::vector<std::string> extractedDirs;

void cleanupExtracted() {
    for (auto& f : extractedFiles) ::unlink(f.c_str());
    for (auto& d : extractedDirs) ::rmdir(d.c_str());
}
#endif

}  // namespace

std::vector<ManifestComponent> parseManifest(const std::string& xml, std::string* bundleName) {
    std::vector<ManifestComponent> out;
    std::regex tagRe("<\\s*(component|bundle)\\b([^>]*)>", std::regex::icase);
    for (auto it = std::sregex_iterator(xml.begin(), xml.end(), tagRe); it != std::sregex_iterator(); ++it) {
        std::string kind = (*it)[1].str();
        std::string body = (*it)[2].str();
        if (iequalsAscii(kind, "bundle")) {
            if (bundleName) *bundleName = attr(body, "name");
            continue;
        }
        ManifestComponent c;
        c.os = attr(body, "os");
        c.path = attr(body, "path");
        c.type = attr(body, "type");
        c.arch = attr(body, "arch");
        out.push_back(c);
    }
    return out;
}

std::string Library::repoDir() { return WEBSOCKET_REPO_DIR; }

std::string Library::defaultZipPath() {
    if (const char* e = std::getenv("WEBSOCKET_ADDIN_ZIP"); e && *e) return e;
    return repoDir() + "/dist/WebSocket.zip";
}

std::vector<std::string> Library::classes() const {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= classNames.size()) {
        size_t bar = classNames.find('|', start);
        if (bar == std::string::npos) bar = classNames.size();
        if (bar > start) out.push_back(classNames.substr(start, bar - start));
        start = bar + 1;
    }
    return out;
}

void* Library::symbol(const char* name) const {
    if (!handle_) return nullptr;
#ifdef _WIN32
    return reinterpret_cast<void*>(::GetProcAddress(static_cast<HMODULE>(handle_), name));
#else
    return ::dlsym(handle_, name);
#endif
}

Library& Library::load(const std::string& zipPath) {
    static std::mutex mu;
    static std::map<std::string, Library*> loaded;
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = loaded.find(zipPath); it != loaded.end()) {
#ifndef _WIN32
        Library& lib = *it->second;
        // A Wine host that died (a crash of the add-in, a watchdog) is replaced, so that one
        // failure does not fail every test after it.
        if (lib.remote_ && !lib.remote_->running()) lib.remote_ = RemoteHost::start(lib);
#endif
        return *it->second;
    }

#ifndef _WIN32
    // A host must never die of SIGPIPE because a peer went away.
    ::signal(SIGPIPE, SIG_IGN);
#endif

    auto lib = std::unique_ptr<Library>(new Library());
    lib->zipPath = zipPath;
#ifndef _WIN32
    if (const char* wineHost = std::getenv("WEBSOCKET_WINE_HOST"); wineHost && *wineHost) {
        // The Windows host program loads the package (its Windows library) and reports.
        lib->remote_ = RemoteHost::start(*lib);
        Library* raw = lib.release();  // never destroyed
        loaded[zipPath] = raw;
        return *raw;
    }
#endif
    lib->loadHere(zipPath);
    Library* raw = lib.release();  // never destroyed
    loaded[zipPath] = raw;
    return *raw;
}

void Library::loadHere(const std::string& zipPath) {
    Library* lib = this;
    ZipReader zip(zipPath);
    const ZipEntry* me = zip.find("MANIFEST.XML");
    if (!me) throw std::runtime_error(zipPath + ": no MANIFEST.XML in the package");
    auto mb = zip.read(*me);
    lib->manifest.assign(mb.begin(), mb.end());
    auto comps = parseManifest(lib->manifest, &lib->bundleName);
    const ManifestComponent* pick = nullptr;
    for (auto& c : comps) {
        if (iequalsAscii(c.os, kOs) && iequalsAscii(c.arch, "x86_64") &&
            (c.type.empty() || iequalsAscii(c.type, "native"))) {
            pick = &c;
            break;
        }
    }
    if (!pick)
        throw std::runtime_error(zipPath + ": MANIFEST.XML has no os=\"" + kOs + "\" arch=\"x86_64\" native component");
    lib->componentPath = pick->path;
    const ZipEntry* se = zip.find(pick->path);
    if (!se) throw std::runtime_error(zipPath + ": MANIFEST.XML names " + pick->path + " but the package has no such file");
    auto so = zip.read(*se);
    std::string base = pick->path;
    if (auto slash = base.find_last_of("/\\"); slash != std::string::npos) base = base.substr(slash + 1);

#ifdef _WIN32
    // A fresh directory under %TEMP%, as the platform extracts to its own cache.
    wchar_t tmp[MAX_PATH + 1];
    DWORD n = ::GetTempPathW(MAX_PATH + 1, tmp);
    if (n == 0 || n > MAX_PATH) throw std::runtime_error("GetTempPathW failed: " + lastError());
    static std::atomic<int> counter{0};
    std::wstring dir;
    for (int attempt = 0;; ++attempt) {
        dir = std::wstring(tmp) + L"ws-addin-" + std::to_wstring(::GetCurrentProcessId()) + L"-" +
              std::to_wstring(counter++);
        if (::CreateDirectoryW(dir.c_str(), nullptr)) break;
        if (::GetLastError() != ERROR_ALREADY_EXISTS || attempt > 100)
            throw std::runtime_error("CreateDirectoryW failed: " + lastError());
    }
    std::wstring file = dir + L"\\" + wide(base);
    lib->extractedPath = toUtf8(std::u16string(file.begin(), file.end()));
    HANDLE h = ::CreateFileW(file.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE) throw std::runtime_error("cannot write " + lib->extractedPath + ": " + lastError());
    size_t off = 0;
    while (off < so.size()) {
        DWORD chunk = DWORD(std::min<size_t>(so.size() - off, 1u << 30)), wrote = 0;
        if (!::WriteFile(h, so.data() + off, chunk, &wrote, nullptr) || wrote == 0) {
            ::CloseHandle(h);
            throw std::runtime_error("write failed: " + lib->extractedPath);
        }
        off += wrote;
    }
    ::CloseHandle(h);
    // The loaded file stays: a loaded DLL cannot be deleted, and it is never unloaded.
    HMODULE module = ::LoadLibraryW(file.c_str());
    if (!module) throw std::runtime_error("LoadLibraryW(" + lib->extractedPath + ") failed: error " + lastError());
    lib->handle_ = module;
    // Never FreeLibrary: the platform does not either.
#else
    // A fresh temp dir, as the platform extracts to its own cache.
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/ws-addin-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back(0);
    if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
    std::string dir = buf.data();
    lib->extractedPath = dir + "/" + base;
    {
        int fd = ::open(lib->extractedPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
        if (fd < 0) throw std::runtime_error("cannot write " + lib->extractedPath);
        size_t off = 0;
        while (off < so.size()) {
            ssize_t w = ::write(fd, so.data() + off, so.size() - off);
            if (w <= 0) { ::close(fd); throw std::runtime_error("write failed: " + lib->extractedPath); }
            off += size_t(w);
        }
        ::close(fd);
    }
    if (extractedFiles.empty() && extractedDirs.empty()) std::atexit(cleanupExtracted);
    extractedFiles.push_back(lib->extractedPath);
    extractedDirs.push_back(dir);

    lib->handle_ = ::dlopen(lib->extractedPath.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib->handle_) {
        const char* err = ::dlerror();
        throw std::runtime_error("dlopen(" + lib->extractedPath + ") failed: " + (err ? err : "?"));
    }
    // Never dlclose: the platform does not either (and the add-in is linked -z nodelete).
#endif
    lib->getClassObject = reinterpret_cast<GetClassObjectPtr>(symbol("GetClassObject"));
    lib->destroyObject = reinterpret_cast<DestroyObjectPtr>(symbol("DestroyObject"));
    lib->getClassNames = reinterpret_cast<GetClassNamesPtr>(symbol("GetClassNames"));
    lib->setPlatformCapabilities = reinterpret_cast<SetPlatformCapabilitiesPtr>(symbol("SetPlatformCapabilities"));
    lib->getAttachType = reinterpret_cast<GetAttachTypePtr>(symbol("GetAttachType"));
    if (!lib->getClassObject || !lib->destroyObject || !lib->getClassNames)
        throw std::runtime_error(lib->extractedPath + ": GetClassObject, DestroyObject or GetClassNames not exported");

    // The platform's order: GetClassNames, SetPlatformCapabilities, GetAttachType.
    const WCHAR_T* names = lib->getClassNames();
    lib->classNames = toUtf8(reinterpret_cast<const char16_t*>(names));
    if (lib->setPlatformCapabilities) lib->capabilitiesReturned = lib->setPlatformCapabilities(eAppCapabilities3);
    if (lib->getAttachType) lib->attachType = lib->getAttachType();
}

std::unique_ptr<ComponentBackend> Library::createBackend(const ComponentOptions& opts) {
#ifndef _WIN32
    if (remote_) return remote_->create(opts);
#endif
    return std::make_unique<LocalComponent>(*this, opts);
}

std::string Library::where() const {
#ifndef _WIN32
    if (remote_) return "Wine: " + remote_->program();
#endif
    return "this process";
}

MemoryReport Library::memory() const {
#ifndef _WIN32
    if (remote_) return remote_->memory();
#endif
    auto& mm = MemoryManager::instance();
    MemoryReport r;
    r.live = mm.live();
    r.liveBytes = mm.liveBytes();
    r.violations = mm.violations();
    r.liveDescription = mm.describeLive();
    return r;
}

void Library::clearMemoryViolations() {
#ifndef _WIN32
    if (remote_) return remote_->clearMemoryViolations();
#endif
    MemoryManager::instance().clearViolations();
}

void Library::refuseAllocations(long count, size_t minBytes) {
#ifndef _WIN32
    if (remote_) return remote_->refuseAllocations(count, minBytes);
#endif
    MemoryManager::instance().refuseAllocations(count, minBytes);
}

int Library::socketCount() const {
#ifdef _WIN32
    return -1;
#else
    if (remote_) return remote_->socketCount();
    return countSocketFds();
#endif
}

}  // namespace host
