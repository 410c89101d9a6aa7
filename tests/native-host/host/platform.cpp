#include "platform.h"

#include "utf.h"

namespace host {

static std::string u8(const WCHAR_T* s) { return toUtf8(reinterpret_cast<const char16_t*>(s)); }

PlatformInfo::PlatformInfo() {
    info.AppVersion = reinterpret_cast<const WCHAR_T*>(u"8.3.25.1000");
    info.UserAgentInformation = reinterpret_cast<const WCHAR_T*>(u"");
    info.Application = eAppServer;
}

const IPlatformInfo::AppInfo* ADDIN_API PlatformInfo::GetPlatformInfo() {
    calls++;
    return &info;
}

#pragma GCC diagnostic ignored "-Wignored-qualifiers"
const IAttachedInfo::AttachedType ADDIN_API AttachedInfo::GetAttachedInfo() {
    calls++;
    return type;
}

bool ADDIN_API MsgBox::Confirm(const WCHAR_T*, tVariant* retVal) {
    calls++;
    if (retVal) { retVal->vt = VTYPE_BOOL; retVal->bVal = false; }
    return false;  // a server has no message boxes
}

bool ADDIN_API MsgBox::Alert(const WCHAR_T*) {
    calls++;
    return false;
}

Platform::Platform() = default;

void Platform::noteCall(const char* what) {
    if (done_) {
        std::lock_guard<std::mutex> lock(mu_);
        afterDone_.push_back(what);
    }
}

bool ADDIN_API Platform::AddError(unsigned short wcode, const WCHAR_T* source, const WCHAR_T* descr, long scode) {
    noteCall("AddError");
    ErrorRecord r{wcode, u8(source), u8(descr), scode};
    std::lock_guard<std::mutex> lock(mu_);
    errors_.push_back(std::move(r));
    return true;
}

bool ADDIN_API Platform::Read(WCHAR_T*, tVariant* pVal, long* pErrCode, WCHAR_T** errDescriptor) {
    noteCall("Read");
    if (pVal) pVal->vt = VTYPE_EMPTY;
    if (pErrCode) *pErrCode = 0;
    if (errDescriptor) *errDescriptor = nullptr;
    return false;
}

bool ADDIN_API Platform::Write(WCHAR_T*, tVariant*) { noteCall("Write"); return false; }
bool ADDIN_API Platform::RegisterProfileAs(WCHAR_T*) { noteCall("RegisterProfileAs"); return false; }

bool ADDIN_API Platform::SetEventBufferDepth(long lDepth) {
    noteCall("SetEventBufferDepth");
    if (lDepth < 1) return false;
    std::lock_guard<std::mutex> lock(mu_);
    depth_ = lDepth;
    return true;
}

long ADDIN_API Platform::GetEventBufferDepth() {
    noteCall("GetEventBufferDepth");
    std::lock_guard<std::mutex> lock(mu_);
    return depth_;
}

bool ADDIN_API Platform::ExternalEvent(WCHAR_T* wszSource, WCHAR_T* wszMessage, WCHAR_T* wszData) {
    noteCall("ExternalEvent");
    EventRecord r{u8(wszSource), u8(wszMessage), u8(wszData)};
    std::lock_guard<std::mutex> lock(mu_);
    if (long(events_.size()) >= depth_) {
        refused_++;
        return false;  // the buffer is full: the platform drops the event
    }
    events_.push_back(std::move(r));
    accepted_++;
    cv_.notify_all();
    return true;
}

void ADDIN_API Platform::CleanEventBuffer() {
    noteCall("CleanEventBuffer");
    std::lock_guard<std::mutex> lock(mu_);
    events_.clear();
}

bool ADDIN_API Platform::SetStatusLine(WCHAR_T* s) {
    noteCall("SetStatusLine");
    std::lock_guard<std::mutex> lock(mu_);
    status_ = u8(s);
    return true;
}

void ADDIN_API Platform::ResetStatusLine() {
    noteCall("ResetStatusLine");
    std::lock_guard<std::mutex> lock(mu_);
    status_.clear();
}

IInterface* ADDIN_API Platform::GetInterface(Interfaces iface) {
    noteCall("GetInterface");
    if (!provideInterfaces) return nullptr;
    switch (iface) {
        case eIMsgBox: return &msgBox;
        case eIPlatformInfo: return &platformInfo;
        case eIAttachedInfo: return &attachedInfo;
        default: return nullptr;
    }
}

std::vector<ErrorRecord> Platform::errors() const {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_;
}

size_t Platform::errorCount() const {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_.size();
}

void Platform::clearErrors() {
    std::lock_guard<std::mutex> lock(mu_);
    errors_.clear();
}

bool Platform::takeEvent(EventRecord* out, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !events_.empty(); })) return false;
    if (out) *out = std::move(events_.front());
    events_.pop_front();
    return true;
}

size_t Platform::bufferedEvents() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_.size();
}

std::vector<std::string> Platform::callsAfterDone() const {
    std::lock_guard<std::mutex> lock(mu_);
    return afterDone_;
}

}  // namespace host
