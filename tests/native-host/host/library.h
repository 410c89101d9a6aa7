// Loads the add-in the way the 1C platform does: out of the package ZIP, through MANIFEST.XML.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "addin/ComponentBase.h"

namespace host {

struct ManifestComponent {
    std::string os, path, type, arch;
};

/// Parses the <component .../> elements of a MANIFEST.XML.
std::vector<ManifestComponent> parseManifest(const std::string& xml, std::string* bundleName = nullptr);

class Library {
public:
    /// Loads (once per process and path) the Linux x86_64 component of the package at zipPath.
    /// Throws std::runtime_error with a precise message on failure.
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

    /// Any other exported symbol (null if absent).
    void* symbol(const char* name) const;

    /// Splits classNames by '|'.
    std::vector<std::string> classes() const;

private:
    Library() = default;
    void* handle_ = nullptr;
};

}  // namespace host
