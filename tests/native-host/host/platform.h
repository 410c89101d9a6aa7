// The platform object given to Init: IAddInDefBaseEx, recording what the add-in does to it.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "addin/AddInDefBase.h"

namespace host {

struct ErrorRecord {
    unsigned short code = 0;
    std::string source;
    std::string descr;
    long scode = 0;
};

struct EventRecord {
    std::string source;
    std::string message;
    std::string data;
};

/// The platform's external-event buffer as the tests see it, wherever the add-in runs (this process
/// or the Windows host under Wine). The buffer is the platform's, shared by every add-in.
class PlatformEvents {
public:
    virtual ~PlatformEvents() = default;
    /// Takes (as 1C would when idle) the next buffered external event; false on timeout.
    virtual bool takeEvent(EventRecord* out, std::chrono::milliseconds timeout) = 0;
    virtual size_t bufferedEvents() const = 0;
    /// ExternalEvent calls accepted / refused because the buffer was full.
    virtual long long eventsAccepted() const = 0;
    virtual long long eventsRefused() const = 0;
    /// What IAddInDefBase::SetEventBufferDepth / GetEventBufferDepth do.
    virtual bool setEventBufferDepth(long depth) = 0;
    virtual long eventBufferDepth() = 0;
    /// An event of another add-in entering the same buffer (through IAddInDefBase::ExternalEvent).
    virtual bool externalEvent(const std::string& source, const std::string& message, const std::string& data) = 0;
};

class PlatformInfo final : public IPlatformInfo {
public:
    PlatformInfo();
    const AppInfo* ADDIN_API GetPlatformInfo() override;
    AppInfo info;
    std::atomic<int> calls{0};
};

class AttachedInfo final : public IAttachedInfo {
public:
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-qualifiers"
    const AttachedType ADDIN_API GetAttachedInfo() override;  // the SDK spells it so
#pragma GCC diagnostic pop
    AttachedType type = eAttachedNotIsolated;
    std::atomic<int> calls{0};
};

class MsgBox final : public IMsgBox {
public:
    bool ADDIN_API Confirm(const WCHAR_T* queryText, tVariant* retVal) override;
    bool ADDIN_API Alert(const WCHAR_T* text) override;
    std::atomic<int> calls{0};
};

class Platform final : public IAddInDefBaseEx {
public:
    Platform();

    // IAddInDefBase
    bool ADDIN_API AddError(unsigned short wcode, const WCHAR_T* source, const WCHAR_T* descr, long scode) override;
    bool ADDIN_API Read(WCHAR_T* wszPropName, tVariant* pVal, long* pErrCode, WCHAR_T** errDescriptor) override;
    bool ADDIN_API Write(WCHAR_T* wszPropName, tVariant* pVar) override;
    bool ADDIN_API RegisterProfileAs(WCHAR_T* wszProfileName) override;
    bool ADDIN_API SetEventBufferDepth(long lDepth) override;
    long ADDIN_API GetEventBufferDepth() override;
    bool ADDIN_API ExternalEvent(WCHAR_T* wszSource, WCHAR_T* wszMessage, WCHAR_T* wszData) override;
    void ADDIN_API CleanEventBuffer() override;
    bool ADDIN_API SetStatusLine(WCHAR_T* wszStatusLine) override;
    void ADDIN_API ResetStatusLine() override;
    // IAddInDefBaseEx
    IInterface* ADDIN_API GetInterface(Interfaces iface) override;

    // ---- host side ----
    std::vector<ErrorRecord> errors() const;
    size_t errorCount() const;
    void clearErrors();

    /// Takes (as 1C would when idle) the next buffered external event; false on timeout.
    bool takeEvent(EventRecord* out, std::chrono::milliseconds timeout);
    size_t bufferedEvents() const;
    /// External events refused because the buffer was full.
    long long eventsRefused() const { return refused_.load(); }
    long long eventsAccepted() const { return accepted_.load(); }

    /// Marks the point after which the add-in must not call us (after Done).
    void markDone() { done_ = true; }
    /// Calls made after Done (ABI violations: the add-in must not use the platform after Done).
    std::vector<std::string> callsAfterDone() const;

    PlatformInfo platformInfo;
    AttachedInfo attachedInfo;
    MsgBox msgBox;
    /// When false, GetInterface returns null (as older platforms do).
    bool provideInterfaces = true;

private:
    void noteCall(const char* what);

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<ErrorRecord> errors_;
    std::deque<EventRecord> events_;
    long depth_ = 1;
    std::atomic<long long> refused_{0}, accepted_{0};
    std::atomic<bool> done_{false};
    std::vector<std::string> afterDone_;
    std::string status_;
};

}  // namespace host
