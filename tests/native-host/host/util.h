// Small helpers for tests and tools: temp dirs, commands, sockets, payloads, certificates.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace host {

/// A fresh directory, removed recursively on destruction.
class TempDir {
public:
    explicit TempDir(const std::string& prefix = "ws-host");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

/// Runs argv (no shell), stdout+stderr captured into *output; returns the exit code
/// (-1 if it could not start or timed out: then it is killed).
int runCommand(const std::vector<std::string>& argv, std::string* output = nullptr,
               std::chrono::milliseconds timeout = std::chrono::milliseconds(60000));

void writeFile(const std::string& path, const std::string& content);
std::string readFile(const std::string& path);

/// Socket file descriptors of this process (/proc/self/fd entries that are "socket:[...]").
int countSocketFds();
/// The socket inodes of this process (for diagnostics).
std::vector<std::string> socketFds();

/// A listening TCP socket owned by the test (to make a port busy).
class Listener {
public:
    explicit Listener(const std::string& address = "127.0.0.1", int port = 0);
    ~Listener();
    int port() const { return port_; }
    bool ok() const { return fd_ >= 0; }

private:
    int fd_ = -1;
    int port_ = 0;
};

/// A port that was free a moment ago on 127.0.0.1.
int freePort(const std::string& address = "127.0.0.1");
/// Whether we can bind address:port ourselves right now.
bool canBind(const std::string& address, int port);

/// The payloads of PROTOCOL.md's send_generated: text byte i = 'a' + i % 26, binary i % 251.
std::string generatedText(size_t n);
std::vector<uint8_t> generatedBinary(size_t n);

/// Polls cond every `step` until it is true or `timeout` passes; returns cond's last value.
bool waitUntil(const std::function<bool()>& cond, std::chrono::milliseconds timeout,
               std::chrono::milliseconds step = std::chrono::milliseconds(20));

/// A CA, a server certificate for 127.0.0.1 / ::1 / localhost signed by it, and the server
/// certificate in every form the add-in accepts. Made with the openssl command.
struct TestCerts {
    std::string dir;
    std::string password = "Test-Pass-123";
    std::string caCert;        // PEM, the trust anchor for peers (--ca)
    std::string caKey;
    std::string serverCert;    // PEM leaf only
    std::string serverKey;     // PEM PKCS#8, unencrypted
    std::string serverKeyEnc;  // PEM PKCS#8, encrypted with `password`
    std::string chain;         // PEM leaf + CA
    std::string combined;      // PEM leaf + unencrypted key in one file
    std::string pfx;           // PKCS#12 with leaf, key and CA, encrypted with `password`
    std::string selfSignedCert, selfSignedKey;  // not signed by the CA
    std::string log;           // openssl output (for failures)
    bool ok = false;
};
/// Generates into dir (which must exist).
TestCerts makeTestCerts(const std::string& dir);

}  // namespace host

namespace host {

/// A bare TCP client for what no WebSocket library would send: garbage, broken frames, a
/// client that never reads.
class RawClient {
public:
    /// Connects (blocking, 5 s at most). rcvbuf > 0 shrinks the receive buffer (before connect).
    RawClient(const std::string& host, int port, int rcvbuf = 0);
    /// Connects from `source` (a local address, e.g. "127.0.0.3": any of 127.0.0.0/8 is this host).
    RawClient(const std::string& host, int port, const std::string& source);
    ~RawClient();
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;
    bool ok() const { return fd_ >= 0; }
    bool sendAll(const std::string& bytes);
    /// Whatever arrives within timeout ("" on timeout or when closed; see closed()).
    std::string recvSome(std::chrono::milliseconds timeout);
    /// Reads until `needle` is in what was read, or timeout; returns all that was read.
    std::string recvUntil(const std::string& needle, std::chrono::milliseconds timeout);
    /// Reads and discards until the peer closes (true) or timeout (false).
    bool waitClosed(std::chrono::milliseconds timeout);
    bool closed() const { return closed_; }
    /// How the connection ended once closed(): 0 for an orderly end (FIN), else the errno of the
    /// failed read (ECONNRESET for a reset).
    int closeErrno() const { return closeErrno_; }
    int fd() const { return fd_; }
    void close();
    /// The WebSocket opening handshake; true on "101".
    /// Sends the upgrade and waits up to `wait` for the 101 (a harness limit, not a figure: many
    /// clients at once under Wine on a loaded machine wait for the listen backlog's SYN retries).
    bool handshake(const std::string& path = "/", const std::string& extraHeaders = "",
                   std::chrono::milliseconds wait = std::chrono::milliseconds(5000));

private:
    int fd_ = -1;
    bool closed_ = false;
    int closeErrno_ = 0;
    std::string host_;
    int port_ = 0;
};

/// A client-to-server WebSocket frame (masked unless told otherwise).
std::string wsFrame(int opcode, const std::string& payload, bool fin = true, bool masked = true);

}  // namespace host
