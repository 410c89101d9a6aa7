// Loads the add-in the way the 1C platform does: out of the package ZIP, through MANIFEST.XML.
// On Linux, in this process (the .so); compiled for Windows, in this process (the .dll); on Linux
// with WEBSOCKET_WINE_HOST set, in the Windows host program under Wine (remote.h).
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "addin/ComponentBase.h"

namespace host {

class ComponentBackend;
struct ComponentOptions;
class RemoteHost;

/// The platform's memory manager in the process where the add-in runs.
struct MemoryReport {
    long live = 0;                        // blocks handed out and not freed
    long long liveBytes = 0;
    std::vector<std::string> violations;  // double or foreign frees, overruns, ...
    std::string liveDescription;          // the first live blocks, for messages
};

struct ManifestComponent {
    std::string os, path, type, arch;
};

/// Parses the <component .../> elements of a MANIFEST.XML.
std::vector<ManifestComponent> parseManifest(const std::string& xml, std::string* bundleName = nullptr);

class Library {
public:
    /// Loads (once per process and path) the package's component for this system: os="Linux"
    /// arch="x86_64" here, os="Windows" arch="x86_64" in the Windows build and under Wine.
    /// Throws std::runtime_error with a precise message on failure. Under Wine, a host process
    /// that has died since is replaced by a new one (the objects of the old one are gone).
    static Library& load(const std::string& zipPath);
    /// WEBSOCKET_ADDIN_ZIP, else <repo>/dist/WebSocket.zip.
    static std::string defaultZipPath();
    /// The repository root this harness was built for.
    static std::string repoDir();

    // Resolved entry points (the optional ones may be null).
    GetClassObjectPtr getClassObject = nullptr;
    DestroyObjectPtr destroyObject = nullptr;
    GetClassNamesPtr getClassNames = nullptr;
    SetPlatformCapabilitiesPtr setPlatformCapabilities = nullptr;
    GetAttachTypePtr getAttachType = nullptr;

    // What the platform learnt at load time.
    std::string zipPath;
    std::string bundleName;
    std::string manifest;
    std::string componentPath;  // path inside the zip
    std::string extractedPath;  // where the .so was written
    std::string classNames;     // GetClassNames(), UTF-8
    int capabilitiesReturned = -100;  // SetPlatformCapabilities(3) result; -100 if not exported
    int attachType = -100;            // GetAttachType() result; -100 if not exported

    /// Any other exported symbol (null if absent, and always under Wine).
    void* symbol(const char* name) const;

    /// A new object of the add-in, in whichever process the add-in runs (component.h).
    std::unique_ptr<ComponentBackend> createBackend(const ComponentOptions& opts);
    /// True when the add-in runs in the Windows host under Wine (WEBSOCKET_WINE_HOST).
    bool remote() const { return remote_ != nullptr; }
    /// "this process" or "Wine: <host program>", for messages.
    std::string where() const;
    /// The memory manager of the process the add-in runs in.
    MemoryReport memory() const;
    void clearMemoryViolations();
    /// The platform refusing memory (MemoryManager::refuseAllocations) in the add-in's process.
    void refuseAllocations(long count, size_t minBytes = 0);
    /// Open sockets of the add-in's process (under Wine: socket objects of its wineserver); -1 if
    /// they cannot be counted.
    int socketCount() const;

    /// Splits classNames by '|'.
    std::vector<std::string> classes() const;

private:
    Library() = default;
    void loadHere(const std::string& zipPath);
    void* handle_ = nullptr;
    std::shared_ptr<RemoteHost> remote_;
};

}  // namespace host
