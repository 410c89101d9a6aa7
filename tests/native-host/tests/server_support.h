// Fixtures and helpers for the server tests against the real add-in (dist/WebSocket.zip).
#pragma once
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "component.h"
#include "library.h"
#include "memory.h"
#include "peer.h"
#include "util.h"
#include "variant.h"

namespace wstest {

using namespace host;
using namespace std::chrono_literals;

/// A received message.
struct Msg {
    long id = 0;
    bool binary = false;
    std::string text;            // text messages (UTF-8)
    std::vector<uint8_t> bytes;  // binary messages
    std::u16string wide;         // text messages as the add-in gave them (UTF-16)
};

/// One entry of the Connections property.
struct Conn {
    long id = 0;
    std::string address;  // "127.0.0.1:50312" or "[::1]:50313"
};
/// Parses `Id:Address|Id:Address`; ok=false (and a reason) if the format is off.
std::vector<Conn> parseConnections(const std::string& s, bool* ok, std::string* why = nullptr);

/// Process-wide watchdog: a test that exceeds its budget prints the last step and exits
/// (ctest shows it as failed) instead of hanging.
void watchdogArm(std::chrono::seconds budget, const std::string& test);
void watchdogDisarm();
void step(const std::string& what);

/// The server object's API, by the contract's names (Russian names used on purpose: the
/// English ones are covered by the naming tests).
class Server {
public:
    explicit Server(Component& c) : c_(c) {}
    Component& c() { return c_; }

    CallResult run(const std::string& iface, int port);
    CallResult run(const std::string& iface, int port, const std::string& cert, const std::string& key,
                   const std::string& password);
    CallResult stop();
    CallResult send(long id, const Variant& body);
    bool sendText(long id, const std::string& text) { return send(id, S(text)).isTrue(); }
    bool sendBinary(long id, const std::vector<uint8_t>& b) { return send(id, BLOB(b)).isTrue(); }
    /// Receive(timeoutMs, ...): the message, or nullopt when it returned False.
    std::optional<Msg> receive(int timeoutMs, CallResult* raw = nullptr);
    CallResult disconnect(long id);
    long port();
    std::string server();
    std::string connections();
    std::string errorDescription() { return c_.errorDescription(); }

private:
    Component& c_;
};

/// Base fixture: loads the package (skips when it is absent, unless WEBSOCKET_REQUIRE_ADDIN=1),
/// checks at the end that every allocation was freed and no ABI rule was broken.
class AddinTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;
    /// A new AddIn.WebSocket.Server with the given language ("ru" or "en").
    Component& make(const std::string& lang = "en");
    Component& make(const Component::Options& o);
    Library& lib() { return *lib_; }
    /// Destroys every object made so far (Done + DestroyObject).
    void destroyAll();

    Library* lib_ = nullptr;
    long baseline_ = 0;       // live blocks of the add-in's memory manager at the start
    long localBaseline_ = 0;  // and of this process's, when they differ (Wine)
    std::vector<std::unique_ptr<Component>> comps_;
};

/// Fixture for tests run with each kind of peer.
class PeerTest : public AddinTest, public ::testing::WithParamInterface<PeerKind> {
protected:
    void SetUp() override;
    PeerKind kind() const { return GetParam(); }
    /// Spawns a peer and waits for "open"; nullptr (and a recorded failure) otherwise.
    std::unique_ptr<Peer> connect(const std::string& url, PeerOptions o = {}, bool expectOpen = true);
    /// The peer sends `tag`; the server receives it: returns the sender's id (0 on failure).
    long hello(Server& s, Peer& p, const std::string& tag);
};

std::string wsUrl(int port, const std::string& host = "127.0.0.1", bool tls = false);
std::string peerName(const ::testing::TestParamInfo<PeerKind>& info);

bool hasCyrillic(const std::string& s);

/// The code of the first close frame (opcode 8) in what a server sent: 1005 for one without a
/// code, -1 if there is none (or it is cut short).
int closeCodeIn(const std::string& bytes);

/// This process's resident memory (VmRSS), in bytes.
long long residentBytes();
// The mappings of this process with at least minBytes resident, one per line (for a failure's message).
std::string largestMappings(long long minBytes);

}  // namespace wstest
