#include "client_support.h"

#include <unistd.h>

#include <cctype>
#include <memory>
#include <mutex>

namespace wstest {

// ---- certificates -------------------------------------------------------------------------------
namespace {

bool runLogged(const std::vector<std::string>& argv, std::string* log, std::string* out = nullptr) {
    std::string o;
    int rc = runCommand(argv, &o);
    *log += "$";
    for (auto& a : argv) *log += " " + a;
    *log += "\n" + o;
    if (out) *out = o;
    if (rc != 0) *log += "(exit " + std::to_string(rc) + ")\n";
    return rc == 0;
}

std::string fingerprint(const std::string& cert, const std::string& alg, std::string* log) {
    std::string out;
    if (!runLogged({"openssl", "x509", "-in", cert, "-noout", "-fingerprint", "-" + alg}, log, &out)) return "";
    auto eq = out.find('=');
    if (eq == std::string::npos) return "";
    std::string fp = out.substr(eq + 1);
    while (!fp.empty() && std::isspace(static_cast<unsigned char>(fp.back()))) fp.pop_back();
    return fp;
}

ClientCerts makeClientCerts(const std::string& dir) {
    ClientCerts c;
    c.base = makeTestCerts(dir);
    c.log = c.base.log;
    if (!c.base.ok) return c;
    c.caDer = dir + "/ca.der";
    c.wrongNameCert = dir + "/wrong.pem";
    c.wrongNameKey = dir + "/wrong.key";
    c.leafCert = dir + "/leaf.pem";
    c.leafKey = dir + "/leaf.key";
    writeFile(dir + "/wrong.ext",
              "basicConstraints=critical,CA:FALSE\n"
              "keyUsage=critical,digitalSignature,keyEncipherment\n"
              "extendedKeyUsage=serverAuth\n"
              "subjectAltName=DNS:wrong.example\n");
    const std::vector<std::vector<std::string>> steps = {
        {"openssl", "x509", "-in", c.base.caCert, "-outform", "DER", "-out", c.caDer},
        {"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", c.wrongNameKey,
         "-out", dir + "/wrong.csr", "-subj", "/CN=wrong.example"},
        {"openssl", "x509", "-req", "-in", dir + "/wrong.csr", "-CA", c.base.caCert, "-CAkey", c.base.caKey,
         "-CAcreateserial", "-out", c.wrongNameCert, "-days", "3", "-sha256", "-extfile", dir + "/wrong.ext"},
        {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
         c.leafKey, "-out", c.leafCert, "-days", "3", "-subj", "/CN=localhost", "-addext",
         "subjectAltName=IP:127.0.0.1,DNS:localhost", "-addext", "basicConstraints=critical,CA:FALSE", "-addext",
         "extendedKeyUsage=serverAuth"},
    };
    for (auto& s : steps)
        if (!runLogged(s, &c.log)) return c;
    c.serverSha256 = fingerprint(c.base.serverCert, "sha256", &c.log);
    c.serverSha1 = fingerprint(c.base.serverCert, "sha1", &c.log);
    c.selfSha256 = fingerprint(c.base.selfSignedCert, "sha256", &c.log);
    c.wrongNameSha256 = fingerprint(c.wrongNameCert, "sha256", &c.log);
    c.ok = c.serverSha256.size() == 95 && c.serverSha1.size() == 59 && c.selfSha256.size() == 95 &&
           c.wrongNameSha256.size() == 95;
    if (!c.ok) c.log += "unexpected fingerprint format: \"" + c.serverSha256 + "\" / \"" + c.serverSha1 + "\"\n";
    return c;
}

}  // namespace

const ClientCerts& clientCerts() {
    static std::mutex mu;
    static std::unique_ptr<TempDir> dir;  // removed at exit
    static std::unique_ptr<ClientCerts> certs;
    std::lock_guard<std::mutex> lock(mu);
    if (!certs) {
        dir = std::make_unique<TempDir>("ws-client-certs");
        certs = std::make_unique<ClientCerts>(makeClientCerts(dir->path()));
    }
    return *certs;
}

// ---- Client -------------------------------------------------------------------------------------
CallResult Client::connect(const std::string& url) {
    step("Подключиться(\"" + url + "\")");
    return c_.call("Подключиться", {S(url)});
}

CallResult Client::connect(const std::string& url, const std::string& headers) {
    step("Подключиться(\"" + url + "\", " + headers + ")");
    return c_.call("Подключиться", {S(url), S(headers)});
}

CallResult Client::connect(const std::string& url, const std::string& headers, int timeoutMs) {
    step("Подключиться(\"" + url + "\", " + headers + ", " + std::to_string(timeoutMs) + ")");
    return c_.call("Подключиться", {S(url), S(headers), I(timeoutMs)});
}

CallResult Client::send(const Variant& body) {
    step("Отправить(" + body.describe(40) + ")");
    return c_.call("Отправить", {body});
}

std::optional<Msg> Client::receive(int timeoutMs, CallResult* raw, Variant* data) {
    step("Принять(" + std::to_string(timeoutMs) + ", Данные)");
    std::vector<Variant> a{I(timeoutMs), S("junk")};
    CallResult r = c_.call("Принять", a);
    bool got = r.isTrue();
    if (raw) *raw = std::move(r);
    if (data) *data = a[1];
    if (!got) return std::nullopt;
    Msg m;
    if (a[1].isBlob()) {
        m.binary = true;
        m.bytes = a[1].bytes();
    } else {
        m.text = a[1].str();
        m.wide = a[1].wstr();
    }
    return m;
}

CallResult Client::disconnect() {
    step("Отключиться()");
    return c_.call("Отключиться");
}

long Client::status() { return long(c_.get("Статус").integer()); }
std::string Client::server() { return c_.get("Сервер").str(); }
std::string Client::subprotocol() { return c_.get("Подпротокол").str(); }
long Client::closeCode() { return long(c_.get("КодЗакрытия").integer()); }
bool Client::externalEvents() { return c_.get("ВнешниеСобытия").boolean(); }
bool Client::setExternalEvents(bool on) { return c_.set("ВнешниеСобытия", B(on)); }
std::string Client::trustedCertificate() { return c_.get("ДоверенныйСертификат").str(); }
bool Client::setTrustedCertificate(const std::string& v) { return c_.set("ДоверенныйСертификат", S(v)); }

// ---- reference servers --------------------------------------------------------------------------
const char* refKindName(RefKind k) { return k == RefKind::Node ? "node" : "python"; }

namespace {
std::vector<std::string> refCommand(RefKind kind, std::string* why) {
    const std::string repo = Library::repoDir();
    if (kind == RefKind::Node) {
        std::string node;
        for (const char* p : {"/usr/bin/node", "/usr/local/bin/node"})
            if (::access(p, X_OK) == 0) node = p;
        if (node.empty()) {
            if (why) *why = "node not found";
            return {};
        }
        if (::access((repo + "/tests/peers/node/node_modules/ws/package.json").c_str(), R_OK) != 0) {
            if (why) *why = "tests/peers/node/node_modules/ws missing (cd tests/peers/node && npm ci)";
            return {};
        }
        return {node, repo + "/tests/peers/servers/node-server.js"};
    }
    static int pyOk = -1;  // import websockets works
    static std::mutex mu;
    std::lock_guard<std::mutex> lock(mu);
    if (pyOk < 0) pyOk = runCommand({"/usr/bin/python3", "-c", "import websockets"}) == 0 ? 1 : 0;
    if (!pyOk) {
        if (why) *why = "/usr/bin/python3 cannot import websockets (apt-get install python3-websockets)";
        return {};
    }
    return {"/usr/bin/python3", repo + "/tests/peers/servers/python-server.py"};
}
}  // namespace

bool RefServer::available(RefKind kind, std::string* why) { return !refCommand(kind, why).empty(); }

RefServer::RefServer(RefKind kind, const std::string& tlsCert, const std::string& tlsKey)
    : kind_(kind), tls_(!tlsCert.empty()) {
    auto argv = refCommand(kind, &why_);
    if (argv.empty()) return;
    for (const char* a : {"--port", "0", "--events", "--exit-on-stdin-eof"}) argv.push_back(a);
    if (tls_) {
        argv.insert(argv.end(), {"--tls-cert", tlsCert, "--tls-key", tlsKey});
    }
    step(std::string("starting the ") + refKindName(kind) + " reference server");
    try {
        proc_ = std::make_unique<Peer>(argv, std::string(refKindName(kind)) + "-server");
    } catch (const std::exception& e) {
        why_ = e.what();
        return;
    }
    auto j = proc_->waitFor("listening", std::chrono::seconds(20));
    if (!j || !(*j).contains("port")) {
        why_ = "no \"listening\" line: " + proc_->diagnostics();
        return;
    }
    port_ = (*j)["port"].get<int>();
}

std::string RefServer::url(const std::string& pathAndQuery, const std::string& host) const {
    return std::string(tls_ ? "wss" : "ws") + "://" + host + ":" + std::to_string(port_) + pathAndQuery;
}

std::optional<json> RefServer::waitClosed(std::chrono::milliseconds timeout) {
    if (!proc_) return std::nullopt;
    return proc_->waitFor("closed", timeout);
}

std::optional<json> RefServer::waitConnection(std::chrono::milliseconds timeout) {
    if (!proc_) return std::nullopt;
    return proc_->waitFor("connection", timeout);
}

// ---- the vanishing server ---------------------------------------------------------------------------
namespace {
const char* kVanishPy = R"PY(
import base64, hashlib, json, socket, sys
count = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(8)
print(json.dumps({"event": "listening", "port": s.getsockname()[1]}), flush=True)
while True:
    c, _ = s.accept()
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    key = None
    for line in data.split(b"\r\n"):
        if line.lower().startswith(b"sec-websocket-key:"):
            key = line.split(b":", 1)[1].strip()
    if key is None:
        c.close()
        continue
    accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
    out = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    for i in range(count):
        p = ("q%d" % i).encode()
        out += bytes([0x81, len(p)]) + p
    c.sendall(out)
    c.shutdown(socket.SHUT_WR)   # FIN, no close frame
    c.close()
    print(json.dumps({"event": "vanished"}), flush=True)
)PY";
}  // namespace

VanishingServer::VanishingServer(int count) {
    dir_ = std::make_unique<TempDir>("ws-vanish");
    const std::string script = dir_->file("vanish.py");
    writeFile(script, kVanishPy);
    try {
        proc_ = std::make_unique<Peer>(std::vector<std::string>{"/usr/bin/python3", script, std::to_string(count)},
                                       "vanishing-server");
    } catch (const std::exception& e) {
        why_ = e.what();
        return;
    }
    auto j = proc_->waitFor("listening", std::chrono::seconds(20));
    if (!j) {
        why_ = "no \"listening\" line: " + proc_->diagnostics();
        return;
    }
    port_ = (*j)["port"].get<int>();
}

// ---- our server ------------------------------------------------------------------------------------
std::optional<ServerEvent> receiveEvent(Component& server, int timeoutMs, CallResult* raw) {
    step("server Принять(" + std::to_string(timeoutMs) + ", ИД, Данные, Событие)");
    std::vector<Variant> a{I(timeoutMs), I(0), S(""), S("")};
    CallResult r = server.call("Принять", a);
    bool got = r.isTrue();
    if (raw) *raw = std::move(r);
    if (!got) return std::nullopt;
    ServerEvent e;
    e.id = long(a[1].integer());
    e.event = a[3].str();
    e.msg.id = e.id;
    if (a[2].isBlob()) {
        e.msg.binary = true;
        e.msg.bytes = a[2].bytes();
    } else {
        e.msg.text = a[2].str();
    }
    return e;
}

// ---- misc -------------------------------------------------------------------------------------------
long long msSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
}

std::string plainHex(const std::string& fp) {
    std::string out;
    for (char ch : fp)
        if (std::isxdigit(static_cast<unsigned char>(ch))) out += char(std::tolower(static_cast<unsigned char>(ch)));
    return out;
}

}  // namespace wstest
