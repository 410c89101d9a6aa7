// Helpers for the client tests: AddIn.WebSocket.Client driven through the host, reference servers
// we did not write (tests/peers/servers: Node `ws`, Python `websockets`), our own server object in
// the same process, certificates for wss://.
#pragma once
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "server_support.h"

namespace wstest {

// ---- certificates -------------------------------------------------------------------------------

/// Everything the wss:// client tests need, made once per process (openssl) in a temp dir.
struct ClientCerts {
    TestCerts base;  // CA, server cert for 127.0.0.1/::1/localhost signed by it, self-signed (CA:TRUE)
    std::string caDer;                              // the CA in DER
    std::string wrongNameCert, wrongNameKey;        // signed by the CA, SAN DNS:wrong.example only
    std::string leafCert, leafKey;                  // self-signed, basicConstraints CA:FALSE, SAN 127.0.0.1/localhost
    std::string serverSha256, serverSha1;           // fingerprints of base.serverCert, "AB:CD:..." (openssl's form)
    std::string selfSha256;                         // fingerprint of base.selfSignedCert
    std::string wrongNameSha256;                    // fingerprint of wrongNameCert
    std::string log;
    bool ok = false;
};
const ClientCerts& clientCerts();

// ---- the client object ----------------------------------------------------------------------------

/// AddIn.WebSocket.Client by its Russian names (the English ones are covered by the naming tests).
class Client {
public:
    explicit Client(Component& c) : c_(c) {}
    Component& c() { return c_; }

    /// Подключиться(Url [, Headers [, Timeout]]): omitted trailing arguments use the defaults.
    CallResult connect(const std::string& url);
    CallResult connect(const std::string& url, const std::string& headers);
    CallResult connect(const std::string& url, const std::string& headers, int timeoutMs);
    CallResult send(const Variant& body);
    bool sendText(const std::string& s) { return send(S(s)).isTrue(); }
    bool sendBinary(const std::vector<uint8_t>& b) { return send(BLOB(b)).isTrue(); }
    /// Принять(Timeout, Data): the message, or nullopt when it returned False (raw gets the call,
    /// data the Data slot as it was left).
    std::optional<Msg> receive(int timeoutMs, CallResult* raw = nullptr, Variant* data = nullptr);
    CallResult disconnect();

    long status();
    std::string server();
    std::string subprotocol();
    long closeCode();
    bool externalEvents();
    bool setExternalEvents(bool on);
    std::string trustedCertificate();
    bool setTrustedCertificate(const std::string& v);
    std::string errorDescription() { return c_.errorDescription(); }

private:
    Component& c_;
};

// ---- reference servers --------------------------------------------------------------------------

enum class RefKind { Node, Python };
const char* refKindName(RefKind k);
inline void PrintTo(RefKind k, std::ostream* os) { *os << refKindName(k); }  // readable ctest names

/// tests/peers/servers/{node-server.js,python-server.py} with --port 0 --events --exit-on-stdin-eof.
class RefServer {
public:
    /// Starts it; ok() false (and why()) if it cannot run here.
    RefServer(RefKind kind, const std::string& tlsCert = "", const std::string& tlsKey = "");
    static bool available(RefKind kind, std::string* why);

    bool ok() const { return port_ > 0; }
    const std::string& why() const { return why_; }
    int port() const { return port_; }
    bool tls() const { return tls_; }
    /// ws[s]://host:port + pathAndQuery ("/echo", "/close?code=4000&reason=bye").
    std::string url(const std::string& pathAndQuery, const std::string& host = "127.0.0.1") const;
    /// The next "closed" event (skipping "connection" events); nullopt on timeout.
    std::optional<json> waitClosed(std::chrono::milliseconds timeout);
    /// The next "connection" event.
    std::optional<json> waitConnection(std::chrono::milliseconds timeout);
    std::string diagnostics() const { return proc_ ? proc_->diagnostics() : why_; }

private:
    RefKind kind_;
    bool tls_ = false;
    int port_ = 0;
    std::string why_;
    std::unique_ptr<Peer> proc_;
};

/// A raw TCP program (Python, no WebSocket library) that completes the handshake, sends
/// `count` text frames "q0".."q<count-1>" and then closes TCP without a close frame.
class VanishingServer {
public:
    explicit VanishingServer(int count);
    bool ok() const { return port_ > 0; }
    int port() const { return port_; }
    std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/"; }
    std::string diagnostics() const { return proc_ ? proc_->diagnostics() : why_; }

private:
    int port_ = 0;
    std::string why_;
    std::unique_ptr<TempDir> dir_;
    std::unique_ptr<Peer> proc_;
};

// ---- our own server object --------------------------------------------------------------------------

/// Receive with the fourth parameter (Событие): "message", "connected", "disconnected".
struct ServerEvent {
    long id = 0;
    std::string event;
    Msg msg;
};
std::optional<ServerEvent> receiveEvent(Component& server, int timeoutMs, CallResult* raw = nullptr);

// ---- misc -------------------------------------------------------------------------------------------

/// Milliseconds since t0.
long long msSince(std::chrono::steady_clock::time_point t0);
/// Lower-case hex without separators: "AB:CD" -> "abcd".
std::string plainHex(const std::string& fingerprint);

}  // namespace wstest
