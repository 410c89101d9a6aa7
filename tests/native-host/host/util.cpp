#include "util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace host {

TempDir::TempDir(const std::string& prefix) {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back(0);
    if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
    path_ = buf.data();
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

int runCommand(const std::vector<std::string>& argv, std::string* output, std::chrono::milliseconds timeout) {
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC)) return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    pid_t pid;
    int rc = ::posix_spawnp(&pid, cargv[0], &fa, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(pipefd[1]);
    if (rc != 0) {
        ::close(pipefd[0]);
        if (output) *output = "cannot start " + argv[0] + ": " + std::strerror(rc);
        return -1;
    }
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    bool timedOut = false;
    char buf[4096];
    while (true) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) { timedOut = true; break; }
        pollfd p{pipefd[0], POLLIN, 0};
        int pr = ::poll(&p, 1, int(std::min<long long>(left, 200)));
        if (pr < 0 && errno == EINTR) continue;
        if (pr <= 0) continue;
        ssize_t n = ::read(pipefd[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf, size_t(n));
    }
    ::close(pipefd[0]);
    if (timedOut) ::kill(pid, SIGKILL);
    int st = 0;
    ::waitpid(pid, &st, 0);
    if (output) *output = out;
    if (timedOut) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void writeFile(const std::string& path, const std::string& content) {
    std::ofstream f(path, std::ios::binary);
    f << content;
    if (!f) throw std::runtime_error("cannot write " + path);
}

std::string readFile(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

std::vector<std::string> socketFds() {
    std::vector<std::string> out;
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) return out;
    int self = ::dirfd(d);
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        if (std::atoi(e->d_name) == self) continue;
        char target[256];
        std::string link = std::string("/proc/self/fd/") + e->d_name;
        ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
        if (n <= 0) continue;
        target[n] = 0;
        if (std::strncmp(target, "socket:", 7) == 0) out.push_back(std::string(e->d_name) + "->" + target);
    }
    ::closedir(d);
    return out;
}

int countSocketFds() { return int(socketFds().size()); }

static bool fillAddr(const std::string& address, int port, sockaddr_storage* ss, socklen_t* len) {
    std::memset(ss, 0, sizeof *ss);
    auto* a4 = reinterpret_cast<sockaddr_in*>(ss);
    auto* a6 = reinterpret_cast<sockaddr_in6*>(ss);
    if (::inet_pton(AF_INET, address.c_str(), &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons(uint16_t(port));
        *len = sizeof *a4;
        return true;
    }
    if (::inet_pton(AF_INET6, address.c_str(), &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(uint16_t(port));
        *len = sizeof *a6;
        return true;
    }
    return false;
}

Listener::Listener(const std::string& address, int port) {
    sockaddr_storage ss;
    socklen_t len;
    if (!fillAddr(address, port, &ss, &len)) return;
    fd_ = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd_, 16) != 0) {
        ::close(fd_);
        fd_ = -1;
        return;
    }
    sockaddr_storage got;
    socklen_t gl = sizeof got;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&got), &gl);
    port_ = got.ss_family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&got)->sin_port)
                                     : ntohs(reinterpret_cast<sockaddr_in6*>(&got)->sin6_port);
}

Listener::~Listener() {
    if (fd_ >= 0) ::close(fd_);
}

int freePort(const std::string& address) {
    Listener l(address, 0);
    return l.port();
}

bool canBind(const std::string& address, int port) {
    sockaddr_storage ss;
    socklen_t len;
    if (!fillAddr(address, port, &ss, &len)) return false;
    int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as servers do
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0 && ::listen(fd, 1) == 0;
    ::close(fd);
    return ok;
}

std::string generatedText(size_t n) {
    std::string s(n, 'a');
    for (size_t i = 0; i < n; ++i) s[i] = char('a' + i % 26);
    return s;
}

std::vector<uint8_t> generatedBinary(size_t n) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = uint8_t(i % 251);
    return v;
}

bool waitUntil(const std::function<bool()>& cond, std::chrono::milliseconds timeout, std::chrono::milliseconds step) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (cond()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return cond();
        std::this_thread::sleep_for(step);
    }
}

TestCerts makeTestCerts(const std::string& dir) {
    TestCerts c;
    c.dir = dir;
    c.caCert = dir + "/ca.pem";
    c.caKey = dir + "/ca.key";
    c.serverCert = dir + "/server.pem";
    c.serverKey = dir + "/server.key";
    c.serverKeyEnc = dir + "/server-encrypted.key";
    c.chain = dir + "/chain.pem";
    c.combined = dir + "/combined.pem";
    c.pfx = dir + "/server.pfx";
    c.selfSignedCert = dir + "/self.pem";
    c.selfSignedKey = dir + "/self.key";
    const std::string csr = dir + "/server.csr", ext = dir + "/server.ext";
    writeFile(ext,
              "basicConstraints=critical,CA:FALSE\n"
              "keyUsage=critical,digitalSignature,keyEncipherment\n"
              "extendedKeyUsage=serverAuth\n"
              "subjectKeyIdentifier=hash\n"
              "authorityKeyIdentifier=keyid,issuer\n"
              "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n");
    const std::string pass = "pass:" + c.password;
    std::vector<std::vector<std::string>> steps = {
        {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", c.caKey,
         "-out", c.caCert, "-days", "3", "-subj", "/CN=WebSocket AddIn Test CA", "-addext",
         "keyUsage=critical,keyCertSign,cRLSign"},
        {"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", c.serverKey, "-out", csr, "-subj", "/CN=localhost"},
        {"openssl", "x509", "-req", "-in", csr, "-CA", c.caCert, "-CAkey", c.caKey, "-CAcreateserial", "-out",
         c.serverCert, "-days", "3", "-sha256", "-extfile", ext},
        {"openssl", "pkcs8", "-topk8", "-in", c.serverKey, "-out", c.serverKeyEnc, "-v2", "aes-256-cbc", "-passout", pass},
        {"openssl", "pkcs12", "-export", "-in", c.serverCert, "-inkey", c.serverKey, "-certfile", c.caCert, "-out", c.pfx,
         "-passout", pass, "-name", "websocket-test"},
        {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
         c.selfSignedKey, "-out", c.selfSignedCert, "-days", "3", "-subj", "/CN=localhost", "-addext",
         "subjectAltName=IP:127.0.0.1,DNS:localhost"},
    };
    for (auto& s : steps) {
        std::string out;
        int rc = runCommand(s, &out);
        c.log += "$";
        for (auto& a : s) c.log += " " + a;
        c.log += "\n" + out;
        if (rc != 0) {
            c.log += "(exit " + std::to_string(rc) + ")\n";
            return c;
        }
    }
    writeFile(c.chain, readFile(c.serverCert) + readFile(c.caCert));
    writeFile(c.combined, readFile(c.serverCert) + readFile(c.serverKey));
    c.ok = true;
    return c;
}

}  // namespace host

namespace host {

RawClient::RawClient(const std::string& host, int port, int rcvbuf) : host_(host), port_(port) {
    sockaddr_storage ss;
    socklen_t len;
    if (!fillAddr(host, port, &ss, &len)) return;
    fd_ = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

RawClient::RawClient(const std::string& host, int port, const std::string& source) : host_(host), port_(port) {
    sockaddr_storage ss, from;
    socklen_t len, fromLen;
    if (!fillAddr(host, port, &ss, &len) || !fillAddr(source, 0, &from, &fromLen)) return;
    fd_ = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&from), fromLen) != 0 ||
        ::connect(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

RawClient::~RawClient() { close(); }

void RawClient::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

bool RawClient::sendAll(const std::string& b) {
    size_t off = 0;
    while (off < b.size()) {
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, 5000) <= 0) return false;
        ssize_t n = ::send(fd_, b.data() + off, b.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        off += size_t(n);
    }
    return true;
}

std::string RawClient::recvSome(std::chrono::milliseconds timeout) {
    if (fd_ < 0 || closed_) return {};
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, int(timeout.count())) <= 0) return {};
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) return {};
    if (n <= 0) {
        closed_ = true;
        closeErrno_ = n == 0 ? 0 : errno;
        return {};
    }
    return std::string(buf, size_t(n));
}

std::string RawClient::recvUntil(const std::string& needle, std::chrono::milliseconds timeout) {
    std::string all;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (all.find(needle) == std::string::npos && !closed_) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        all += recvSome(left);
    }
    return all;
}

bool RawClient::waitClosed(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        recvSome(left);
    }
    return true;
}

bool RawClient::handshake(const std::string& path, const std::string& extraHeaders, std::chrono::milliseconds wait) {
    std::string h = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + h + ":" + std::to_string(port_) +
                      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
                      extraHeaders + "\r\n";
    if (!sendAll(req)) return false;
    std::string resp = recvUntil("\r\n\r\n", wait);
    return resp.rfind("HTTP/1.1 101", 0) == 0 &&
           resp.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") != std::string::npos;  // RFC 6455's example accept
}

std::string wsFrame(int opcode, const std::string& payload, bool fin, bool masked) {
    std::string f;
    f += char((fin ? 0x80 : 0) | (opcode & 0x0F));
    size_t n = payload.size();
    unsigned char m = masked ? 0x80 : 0;
    if (n < 126) {
        f += char(m | n);
    } else if (n < 65536) {
        f += char(m | 126);
        f += char(n >> 8);
        f += char(n & 0xFF);
    } else {
        f += char(m | 127);
        for (int i = 7; i >= 0; --i) f += char((uint64_t(n) >> (8 * i)) & 0xFF);
    }
    const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
    if (masked) f.append(reinterpret_cast<const char*>(key), 4);
    for (size_t i = 0; i < n; ++i) f += masked ? char(payload[i] ^ key[i % 4]) : payload[i];
    return f;
}

}  // namespace host
