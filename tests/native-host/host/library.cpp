#include "library.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <regex>
#include <stdexcept>

#include "utf.h"
#include "zip.h"

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

std::vector<std::string> extractedFiles;
std::vector<std::string> extractedDirs;

void cleanupExtracted() {
    for (auto& f : extractedFiles) ::unlink(f.c_str());
    for (auto& d : extractedDirs) ::rmdir(d.c_str());
}

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

void* Library::symbol(const char* name) const { return ::dlsym(handle_, name); }

Library& Library::load(const std::string& zipPath) {
    static std::mutex mu;
    static std::map<std::string, Library*> loaded;
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = loaded.find(zipPath); it != loaded.end()) return *it->second;

    // A host must never die of SIGPIPE because a peer went away.
    ::signal(SIGPIPE, SIG_IGN);

    auto lib = std::unique_ptr<Library>(new Library());
    lib->zipPath = zipPath;
    ZipReader zip(zipPath);
    const ZipEntry* me = zip.find("MANIFEST.XML");
    if (!me) throw std::runtime_error(zipPath + ": no MANIFEST.XML in the package");
    auto mb = zip.read(*me);
    lib->manifest.assign(mb.begin(), mb.end());
    auto comps = parseManifest(lib->manifest, &lib->bundleName);
    const ManifestComponent* pick = nullptr;
    for (auto& c : comps) {
        if (iequalsAscii(c.os, "Linux") && iequalsAscii(c.arch, "x86_64") &&
            (c.type.empty() || iequalsAscii(c.type, "native"))) {
            pick = &c;
            break;
        }
    }
    if (!pick) throw std::runtime_error(zipPath + ": MANIFEST.XML has no os=\"Linux\" arch=\"x86_64\" native component");
    lib->componentPath = pick->path;
    const ZipEntry* se = zip.find(pick->path);
    if (!se) throw std::runtime_error(zipPath + ": MANIFEST.XML names " + pick->path + " but the package has no such file");
    auto so = zip.read(*se);

    // A fresh temp dir, as the platform extracts to its own cache.
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/ws-addin-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back(0);
    if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
    std::string dir = buf.data();
    std::string base = pick->path;
    if (auto slash = base.find_last_of("/\\"); slash != std::string::npos) base = base.substr(slash + 1);
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
    auto sym = [&](const char* name) { return ::dlsym(lib->handle_, name); };
    lib->getClassObject = reinterpret_cast<GetClassObjectPtr>(sym("GetClassObject"));
    lib->destroyObject = reinterpret_cast<DestroyObjectPtr>(sym("DestroyObject"));
    lib->getClassNames = reinterpret_cast<GetClassNamesPtr>(sym("GetClassNames"));
    lib->setPlatformCapabilities = reinterpret_cast<SetPlatformCapabilitiesPtr>(sym("SetPlatformCapabilities"));
    lib->getAttachType = reinterpret_cast<GetAttachTypePtr>(sym("GetAttachType"));
    if (!lib->getClassObject || !lib->destroyObject || !lib->getClassNames)
        throw std::runtime_error(lib->extractedPath + ": GetClassObject, DestroyObject or GetClassNames not exported");

    // The platform's order: GetClassNames, SetPlatformCapabilities, GetAttachType.
    const WCHAR_T* names = lib->getClassNames();
    lib->classNames = toUtf8(reinterpret_cast<const char16_t*>(names));
    if (lib->setPlatformCapabilities) lib->capabilitiesReturned = lib->setPlatformCapabilities(eAppCapabilities3);
    if (lib->getAttachType) lib->attachType = lib->getAttachType();

    Library* raw = lib.release();  // never destroyed
    loaded[zipPath] = raw;
    return *raw;
}

}  // namespace host
