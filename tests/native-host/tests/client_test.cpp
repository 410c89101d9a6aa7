// AddIn.WebSocket.Client driven through the Native API exactly as 1C drives it, per
// /work/shared/contract.md and docs/api.en.md, against servers we did not write (Node `ws`,
// Python `websockets`: tests/peers/servers) and against our own server object loaded from the
// same library in the same process.
#include <cctype>
#include <cstring>
#include <map>
#include <set>
#include <thread>

#include "client_support.h"
#include "sha256.h"
#include "utf.h"

using namespace wstest;

namespace {

const std::string kHello = "Привет, мир 🌍👋 — «ёЁ» 𝄞";

std::string tr(bool ru, const std::string& r, const std::string& e) { return ru ? r : e; }

// ===================================================================================================
// The fixture: client objects, our server object, the backends that echo.
// ===================================================================================================
enum class Backend { Node, Python, Ours };
const char* backendName(Backend b) {
    switch (b) {
        case Backend::Node: return "node";
        case Backend::Python: return "python";
        case Backend::Ours: return "ours";
    }
    return "?";
}
void PrintTo(Backend b, std::ostream* os) { *os << backendName(b); }  // readable ctest names

/// A server the client talks to: a reference server, or our own server object (which the test
/// drives: pump() echoes what it received).
struct EchoBackend {
    Backend kind = Backend::Node;
    bool tls = false;
    int port = 0;
    std::unique_ptr<RefServer> ref;
    Component* server = nullptr;  // ours, with ConnectionEvents = True
    std::vector<std::string> log;  // events seen by pump()/waitClosedCode() that they did not want

    std::string url(const std::string& path = "/echo", const std::string& host = "127.0.0.1") const {
        if (ref) return ref->url(path, host);
        return std::string(tls ? "wss" : "ws") + "://" + host + ":" + std::to_string(port) + path;
    }

    /// Ours: receives n messages and sends each back to its sender (same type). Ref: nothing to do.
    bool pump(int n, int timeoutMs = 30000, long* lastId = nullptr) {
        if (!server) return true;
        for (int i = 0; i < n;) {
            CallResult raw;
            auto e = receiveEvent(*server, timeoutMs, &raw);
            if (!e) {
                ADD_FAILURE() << "our server received nothing (message " << i << " of " << n << "): " << raw.describe();
                return false;
            }
            if (e->event != "message") {
                log.push_back(e->event + " " + e->msg.text);
                continue;
            }
            if (lastId) *lastId = e->id;
            Variant body = e->msg.binary ? BLOB(e->msg.bytes) : S(e->msg.text);
            auto r = server->call("Отправить", {I(int32_t(e->id)), body});
            if (!r.isTrue()) {
                ADD_FAILURE() << "our server could not echo message " << i << ": " << r.describe();
                return false;
            }
            ++i;
        }
        return true;
    }

    /// The close code the server side saw for the client's connection; -1 if none in time.
    int waitClosedCode(std::chrono::milliseconds timeout) {
        if (ref) {
            auto j = ref->waitClosed(timeout);
            return j ? (*j)["code"].get<int>() : -1;
        }
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            auto e = receiveEvent(*server, 200);
            if (!e) continue;
            if (e->event == "disconnected") {
                auto j = json::parse(e->msg.text, nullptr, false);
                if (j.is_object() && j.contains("code")) return j["code"].get<int>();
                ADD_FAILURE() << "disconnected event data is not {\"code\":...}: " << e->msg.text;
                return -2;
            }
            log.push_back(e->event + " " + e->msg.text.substr(0, 40));
        }
        return -1;
    }

    std::string diagnostics() const {
        std::string s = ref ? ref->diagnostics() : "our server";
        for (auto& l : log) s += "\n  unexpected: " + l;
        return s;
    }
};

class ClientTest : public AddinTest {
protected:
    Component& makeClient(const std::string& lang = "en") {
        Component::Options o;
        o.className = "Client";
        o.language = lang;
        o.locale = lang == "ru" ? "ru_RU" : "en_US";
        return make(o);
    }

    /// Skips (or fails with WEBSOCKET_REQUIRE_PEERS=1) when the reference server cannot run here.
    bool requireRef(RefKind k) {
        std::string why;
        if (RefServer::available(k, &why)) return true;
        const char* req = std::getenv("WEBSOCKET_REQUIRE_PEERS");
        if (req && *req == '1') {
            ADD_FAILURE() << why;
        } else {
            [&] { GTEST_SKIP() << why; }();  // marks the test skipped; the caller returns
        }
        return false;
    }

    const ClientCerts& certs() {
        const ClientCerts& c = clientCerts();
        if (!c.ok) ADD_FAILURE() << "making test certificates failed:\n" << c.log;
        return c;
    }

    /// Starts a backend; cert/key: wss://. Failures are recorded.
    bool start(EchoBackend& b, Backend kind, const std::string& cert = "", const std::string& key = "") {
        b.kind = kind;
        b.tls = !cert.empty();
        if (kind == Backend::Ours) {
            Component& s = make("en");
            b.server = &s;
            EXPECT_TRUE(s.set("СобытияСоединений", B(true))) << "ConnectionEvents";
            step(std::string("our server Запустить") + (b.tls ? " (wss)" : ""));
            auto r = b.tls ? s.call("Запустить", {S("127.0.0.1"), I(0), S(cert), S(key), S("")})
                           : s.call("Запустить", {S("127.0.0.1"), I(0)});
            if (!r.isTrue()) {
                ADD_FAILURE() << "our server did not start: " << r.describe();
                return false;
            }
            b.port = int(s.get("Порт").integer());
            return b.port > 0;
        }
        RefKind rk = kind == Backend::Node ? RefKind::Node : RefKind::Python;
        b.ref = std::make_unique<RefServer>(rk, cert, key);
        if (!b.ref->ok()) {
            ADD_FAILURE() << "the " << refKindName(rk) << " reference server did not start: " << b.ref->why();
            return false;
        }
        b.port = b.ref->port();
        return true;
    }

    /// A failed call: returned false, an AddError 1006 whose text is `want` (exact unless
    /// prefixOnly) in the object's language, and ErrorDescription() equal to it.
    void expectFailure(Component& c, const CallResult& r, const std::string& what, const std::string& want,
                       bool ru, bool prefixOnly = false) {
        EXPECT_TRUE(r.called) << what;
        EXPECT_FALSE(r.ok) << what << ": should raise (return false): " << r.describe();
        ASSERT_FALSE(r.errors.empty()) << what << ": no AddError: " << r.describe();
        const auto& e = r.errors.back();
        EXPECT_EQ(e.code, 1006) << what << ": " << r.describe();
        EXPECT_NE(e.scode, 0) << what << ": scode";
        if (prefixOnly) {
            EXPECT_EQ(e.descr.rfind(want, 0), 0u) << what << ":\n  expected to start with: " << want
                                                   << "\n  got:                    " << e.descr;
        } else {
            EXPECT_EQ(e.descr, want) << what;
        }
        if (ru) {
            EXPECT_TRUE(hasCyrillic(e.descr)) << what << ": expected Russian, got \"" << e.descr << "\"";
        } else {
            EXPECT_FALSE(hasCyrillic(e.descr)) << what << ": expected English, got \"" << e.descr << "\"";
        }
        EXPECT_EQ(c.errorDescription(), e.descr) << what << ": ОписаниеОшибки() should return the last error";
    }

    /// A Send with no connection to send on: like the server's, False without an exception, and
    /// the cause (exactly `want`, in the object's language) in ErrorDescription().
    void expectSendRefused(Component& c, const CallResult& r, const std::string& what, const std::string& want, bool ru) {
        EXPECT_TRUE(r.ok) << what << ": must not raise: " << r.describe();
        EXPECT_TRUE(r.ret.isBool() && !r.ret.boolean()) << what << ": must return False: " << r.describe();
        EXPECT_TRUE(r.errors.empty()) << what << ": no AddError expected: " << r.describe();
        const std::string said = c.errorDescription();
        EXPECT_EQ(said, want) << what << ": ОписаниеОшибки()";
        EXPECT_EQ(hasCyrillic(said), ru) << what << ": wrong language: " << said;
    }
};

// ===================================================================================================
// Names, defaults, the state before any connection.
// ===================================================================================================
class ClientApi : public ClientTest {};

TEST_F(ClientApi, MethodAndPropertyNames) {
    Component& c = makeClient();
    const std::vector<std::vector<std::string>> groups = {
        {"Подключиться", "ПОДКЛЮЧИТЬСЯ", "подключиться", "Connect", "connect", "CONNECT"},
        {"Отправить", "отправить", "Send", "SEND"},
        {"Принять", "ПРИНЯТЬ", "Получить", "получить", "ПОЛУЧИТЬ", "Receive", "receive"},
        {"Отключиться", "ОТКЛЮЧИТЬСЯ", "Disconnect", "disconnect"},
        {"ОписаниеОшибки", "описаниеошибки", "ErrorDescription", "ERRORDESCRIPTION"},
        {"НачатьПодключение", "начатьподключение", "BeginConnect", "BEGINCONNECT"},
    };
    std::set<long> seen;
    for (auto& g : groups) {
        long first = c.findMethod(g[0]);
        EXPECT_GE(first, 0) << g[0];
        for (auto& n : g) EXPECT_EQ(c.findMethod(n), first) << n << " vs " << g[0];
        EXPECT_TRUE(seen.insert(first).second) << g[0] << " shares an index with another method";
    }
    EXPECT_EQ(c.findMethod("Запустить"), -1) << "the client has no server methods";

    std::map<std::string, std::string> en2ru;
    for (long i = 0; i < c.nMethods(); ++i) en2ru[c.methodName(i, 0)] = c.methodName(i, 1);
    const std::map<std::string, std::pair<std::string, long>> expected = {
        {"Connect", {"Подключиться", 3}}, {"Send", {"Отправить", 1}},         {"Receive", {"Принять", 2}},
        {"Disconnect", {"Отключиться", 0}}, {"ErrorDescription", {"ОписаниеОшибки", 0}},
        {"BeginConnect", {"НачатьПодключение", 3}},
    };
    for (auto& [en, v] : expected) {
        ASSERT_TRUE(en2ru.count(en)) << "GetMethodName(n, 0) never gives " << en;
        EXPECT_EQ(en2ru[en], v.first) << "Russian name of " << en;
        EXPECT_EQ(c.nParams(c.findMethod(en)), v.second) << "GetNParams(" << en << ")";
    }
    for (const char* f : {"Connect", "BeginConnect", "Send", "Receive", "ErrorDescription"})
        EXPECT_TRUE(c.hasRetVal(c.findMethod(f))) << f << " is a function";

    // Connect(Url, Headers = "", Timeout = 30000).
    long connect = c.findMethod("Connect");
    {
        Variant owned;
        EXPECT_FALSE(c.paramDefValue(connect, 0, &owned)) << "Url is required";
    }
    {
        Variant owned;
        EXPECT_TRUE(c.paramDefValue(connect, 1, &owned)) << "Headers has a default";
        EXPECT_TRUE(owned.isString() && owned.str().empty()) << "Headers default: " << owned.describe();
    }
    {
        Variant owned;
        EXPECT_TRUE(c.paramDefValue(connect, 2, &owned)) << "Timeout has a default";
        EXPECT_TRUE(owned.isNumber() && owned.integer() == 30000) << "Timeout default: " << owned.describe();
    }

    const std::vector<std::tuple<std::string, std::string, bool>> props = {
        {"Status", "Статус", false},         {"Server", "Сервер", false},
        {"Subprotocol", "Подпротокол", false}, {"CloseCode", "КодЗакрытия", false},
        {"ExternalEvents", "ВнешниеСобытия", true}, {"TrustedCertificate", "ДоверенныйСертификат", true},
    };
    std::map<std::string, std::string> pen2ru;
    for (long i = 0; i < c.nProps(); ++i) pen2ru[c.propName(i, 0)] = c.propName(i, 1);
    for (auto& [en, ru, writable] : props) {
        EXPECT_EQ(pen2ru[en], ru) << "Russian name of property " << en;
        long n = c.findProp(en);
        ASSERT_GE(n, 0) << en;
        EXPECT_EQ(c.findProp(ru), n) << ru;
        std::string upper = en;
        for (auto& ch : upper) ch = char(std::toupper(static_cast<unsigned char>(ch)));
        EXPECT_EQ(c.findProp(upper), n) << upper;
        EXPECT_TRUE(c.isPropReadable(n)) << en;
        EXPECT_EQ(c.isPropWritable(n), writable) << en;
    }
}

TEST_F(ClientApi, StateBeforeAnyConnection) {
    Component& c = makeClient();
    Client cl(c);
    EXPECT_EQ(cl.status(), 0);
    EXPECT_TRUE(c.get("Статус").isNumber()) << c.get("Статус").describe();
    EXPECT_EQ(cl.server(), "");
    EXPECT_EQ(cl.subprotocol(), "");
    EXPECT_EQ(cl.closeCode(), 0);
    EXPECT_FALSE(cl.externalEvents());
    EXPECT_TRUE(c.get("ВнешниеСобытия").isBool()) << c.get("ВнешниеСобытия").describe();
    EXPECT_EQ(cl.trustedCertificate(), "");
    EXPECT_EQ(cl.errorDescription(), "");
    EXPECT_FALSE(c.set("Статус", I(1))) << "Статус is read-only";
    EXPECT_FALSE(c.set("КодЗакрытия", I(1))) << "КодЗакрытия is read-only";

    EXPECT_TRUE(cl.setTrustedCertificate("/some/where/ca.pem"));
    EXPECT_EQ(cl.trustedCertificate(), "/some/where/ca.pem");
    EXPECT_TRUE(cl.setTrustedCertificate(""));
    EXPECT_EQ(cl.trustedCertificate(), "");
    EXPECT_TRUE(cl.setExternalEvents(true));
    EXPECT_TRUE(cl.externalEvents());
    EXPECT_TRUE(cl.setExternalEvents(false));
    EXPECT_FALSE(cl.externalEvents());
}

TEST_F(ClientApi, DisconnectBeforeConnectAndTwiceNeverRaises) {
    Component& c = makeClient("ru");
    Client cl(c);
    for (int i = 0; i < 2; ++i) {
        auto r = cl.disconnect();
        EXPECT_TRUE(r.ok) << "Отключиться() before Подключиться, call " << i + 1 << ": " << r.describe();
        EXPECT_TRUE(r.errors.empty()) << r.describe();
    }
    EXPECT_EQ(cl.status(), 0);
    EXPECT_EQ(cl.errorDescription(), "");
}

TEST_F(ClientApi, ReceiveBeforeConnectReturnsFalseAtOnce) {
    Component& c = makeClient();
    Client cl(c);
    for (int timeout : {3000, 0}) {
        CallResult raw;
        Variant data;
        auto t0 = std::chrono::steady_clock::now();
        auto m = cl.receive(timeout, &raw, &data);
        EXPECT_FALSE(m) << "Принять(" << timeout << ") before Подключиться";
        EXPECT_TRUE(raw.ok) << raw.describe();
        EXPECT_TRUE(raw.errors.empty()) << raw.describe();
        EXPECT_LT(msSince(t0), 500) << "Принять(" << timeout << ") with no connection must return at once";
        EXPECT_TRUE(data.isString() && data.str().empty()) << "Data = " << data.describe();
    }
}

// ===================================================================================================
// Errors, in Russian and English.
// ===================================================================================================
class ClientErrors : public ClientTest, public ::testing::WithParamInterface<std::string> {
protected:
    bool ru() const { return GetParam() == "ru"; }
};

TEST_P(ClientErrors, ConnectionRefused) {
    Component& c = makeClient(GetParam());
    Client cl(c);
    int port = freePort();
    const std::string url = "ws://127.0.0.1:" + std::to_string(port) + "/";
    auto t0 = std::chrono::steady_clock::now();
    auto r = cl.connect(url);
    EXPECT_LT(msSince(t0), 3000) << "a refused connection is known at once";
    const std::string auth = "127.0.0.1:" + std::to_string(port);
    expectFailure(c, r, "Подключиться to a closed port",
                  tr(ru(), "Сервер " + auth + " отказал в соединении (порт закрыт или сервер не запущен)",
                    "Connection refused by " + auth + " (the port is closed or the server is not running)"),
                  ru());
    EXPECT_EQ(cl.status(), -1) << "Статус after a failed Подключиться";
    EXPECT_EQ(cl.server(), url) << "Сервер is the URL";
    EXPECT_FALSE(cl.receive(2000)) << "nothing to receive";
    // The same object connects fine afterwards; a successful call leaves ErrorDescription alone.
    const std::string before = cl.errorDescription();
    EchoBackend b;
    ASSERT_TRUE(start(b, Backend::Ours));
    auto ok = cl.connect(b.url("/"));
    ASSERT_TRUE(ok.isTrue()) << ok.describe();
    EXPECT_EQ(cl.status(), 1);
    EXPECT_EQ(cl.errorDescription(), before) << "a successful call must not reset ErrorDescription";
    cl.disconnect();
}

TEST_P(ClientErrors, UnknownHost) {
    Component& c = makeClient(GetParam());
    Client cl(c);
    auto t0 = std::chrono::steady_clock::now();
    auto r = cl.connect("ws://nonexistent.invalid/", "", 20000);
    auto took = msSince(t0);
    EXPECT_LT(took, 10000) << "a DNS failure should not take the whole timeout";
    expectFailure(c, r, "Подключиться to ws://nonexistent.invalid/",
                  tr(ru(), "Не удалось найти хост nonexistent.invalid (ошибка DNS)",
                    "Host nonexistent.invalid not found (DNS error)"),
                  ru());
    EXPECT_EQ(cl.status(), -1);
}

TEST_P(ClientErrors, TimeoutWhenTheServerNeverAnswersTheUpgrade) {
    Component& c = makeClient(GetParam());
    Client cl(c);
    Listener mute("127.0.0.1", 0);  // the kernel accepts; nobody ever answers
    ASSERT_TRUE(mute.ok());
    for (const std::string scheme : {"ws", "wss"}) {
        const std::string url = scheme + "://127.0.0.1:" + std::to_string(mute.port()) + "/";
        auto t0 = std::chrono::steady_clock::now();
        auto r = cl.connect(url, "", 500);
        auto took = msSince(t0);
        EXPECT_GE(took, 400) << url << ": returned before the timeout";
        EXPECT_LT(took, 2000) << url << ": Timeout=500 must return within ~2 s";
        expectFailure(c, r, "Подключиться(" + url + ", \"\", 500) to a mute server",
                      tr(ru(), "Превышено время ожидания подключения к " + url + " (500 мс)",
                        "Timed out connecting to " + url + " (500 ms)"),
                      ru());
        EXPECT_EQ(cl.status(), -1) << url;
    }
}

TEST_P(ClientErrors, TlsUntrustedCertificate) {
    if (!requireRef(RefKind::Node)) return;
    const auto& k = certs();
    ASSERT_TRUE(k.ok);
    Component& c = makeClient(GetParam());
    Client cl(c);
    const std::string want = tr(ru(),
                               "Сертификат сервера 127.0.0.1 не является доверенным (TLS); для самоподписанного "
                               "сертификата задайте свойство ДоверенныйСертификат",
                               "The certificate of 127.0.0.1 is not trusted (TLS); for a self-signed certificate set "
                               "the TrustedCertificate property");
    {
        RefServer self(RefKind::Node, k.base.selfSignedCert, k.base.selfSignedKey);
        ASSERT_TRUE(self.ok()) << self.why();
        auto r = cl.connect(self.url("/echo"), "", 10000);
        expectFailure(c, r, "a self-signed server, no ДоверенныйСертификат", want, ru());
        EXPECT_EQ(cl.status(), -1);
    }
    RefServer signed_(RefKind::Node, k.base.serverCert, k.base.serverKey);
    ASSERT_TRUE(signed_.ok()) << signed_.why();
    auto r = cl.connect(signed_.url("/echo"), "", 10000);
    expectFailure(c, r, "a server signed by an unknown CA, no ДоверенныйСертификат", want, ru());
    // Another certificate as the root does not make this chain trusted.
    ASSERT_TRUE(cl.setTrustedCertificate(k.base.selfSignedCert));
    r = cl.connect(signed_.url("/echo"), "", 10000);
    expectFailure(c, r, "ДоверенныйСертификат = an unrelated self-signed certificate", want, ru());
    // A pin that does not match.
    ASSERT_TRUE(cl.setTrustedCertificate(k.selfSha256));
    r = cl.connect(signed_.url("/echo"), "", 10000);
    expectFailure(c, r, "ДоверенныйСертификат = the thumbprint of another certificate", want, ru());
    EXPECT_EQ(cl.status(), -1);
}

TEST_P(ClientErrors, TlsNameMismatch) {
    if (!requireRef(RefKind::Node)) return;
    const auto& k = certs();
    ASSERT_TRUE(k.ok);
    Component& c = makeClient(GetParam());
    Client cl(c);
    ASSERT_TRUE(cl.setTrustedCertificate(k.base.caCert));
    RefServer wrong(RefKind::Node, k.wrongNameCert, k.wrongNameKey);
    ASSERT_TRUE(wrong.ok()) << wrong.why();
    for (const std::string host : {"127.0.0.1", "localhost"}) {
        auto r = cl.connect(wrong.url("/echo", host), "", 10000);
        expectFailure(c, r, "a certificate for wrong.example, trusted CA, host " + host,
                      tr(ru(), "Сертификат сервера выдан не на имя " + host + " (TLS)",
                        "The server's certificate is not issued for " + host + " (TLS)"),
                      ru());
        EXPECT_EQ(cl.status(), -1);
    }
}

TEST_P(ClientErrors, UpgradeRefusedNamesTheHttpStatus) {
    for (RefKind kind : {RefKind::Node, RefKind::Python}) {
        if (!requireRef(kind)) return;
        Component& c = makeClient(GetParam());
        Client cl(c);
        RefServer srv(kind);
        ASSERT_TRUE(srv.ok()) << srv.why();
        struct Case {
            std::string path;
            int status;
            std::string phrase;
        };
        for (const Case& k : {Case{"/reject?status=403", 403, "Forbidden"}, Case{"/reject?status=401", 401, "Unauthorized"},
                              Case{"/reject?status=503", 503, "ServiceUnavailable"}, Case{"/no-such-path", 404, "NotFound"}}) {
            auto r = cl.connect(srv.url(k.path), "", 10000);
            const std::string what = std::string(refKindName(kind)) + " " + k.path;
            expectFailure(c, r, what,
                          tr(ru(), "Сервер отклонил подключение WebSocket: HTTP " + std::to_string(k.status),
                            "The server refused the WebSocket upgrade: HTTP " + std::to_string(k.status)),
                          ru(), /*prefixOnly=*/false);
            // The status as a number only: .NET's enum names (NotFound, ServiceUnavailable) are no
            // words for a Russian reader.
            EXPECT_FALSE(r.hasError(k.phrase)) << what << ": " << r.errorText();
            EXPECT_EQ(cl.status(), -1) << what;
        }
    }
}

TEST_P(ClientErrors, MalformedUrl) {
    Component& c = makeClient(GetParam());
    Client cl(c);
    for (const std::string url : {"http://x", "https://127.0.0.1/", "not a url", "", "ws//127.0.0.1/", "ftp://127.0.0.1/",
                                  "127.0.0.1:8080"}) {
        auto t0 = std::chrono::steady_clock::now();
        auto r = cl.connect(url);
        EXPECT_LT(msSince(t0), 1000) << url;
        expectFailure(c, r, "Подключиться(\"" + url + "\")",
                      tr(ru(), "Неверный адрес «" + url + "»: ожидается ws://хост[:порт]/путь или wss://хост[:порт]/путь",
                        "Invalid URL '" + url + "': expected ws://host[:port]/path or wss://host[:port]/path"),
                      ru());
        EXPECT_NE(cl.status(), 1) << url;
    }
}

TEST_P(ClientErrors, SendWhileNotConnected) {
    Component& c = makeClient(GetParam());
    Client cl(c);
    const std::string want = tr(ru(), "Нет подключения к серверу: вызовите Подключиться()",
                               "Not connected to a server: call Connect() first");
    auto r = cl.send(S("hello"));
    expectSendRefused(c, r, "Отправить(Строка) before Подключиться", want, ru());
    r = cl.send(BLOB({1, 2, 3}));
    expectSendRefused(c, r, "Отправить(ДвоичныеДанные) before Подключиться", want, ru());

    // After Отключиться: the cause is the disconnect.
    EchoBackend b;
    ASSERT_TRUE(start(b, Backend::Ours));
    ASSERT_TRUE(cl.connect(b.url("/")).isTrue());
    cl.disconnect();
    r = cl.send(S("after"));
    expectSendRefused(c, r, "Отправить after Отключиться",
                      tr(ru(), "Соединение с " + b.url("/") + " закрыто вызовом Отключиться()",
                         "The connection to " + b.url("/") + " was closed by Disconnect()"),
                      ru());
}

TEST_P(ClientErrors, BadHeadersJson) {
    Component& c = makeClient(GetParam());
    Client cl(c);
    const std::string url = "ws://127.0.0.1:" + std::to_string(freePort()) + "/";
    const std::string prefix =
        tr(ru(), "Заголовки должны быть JSON-объектом строк, например {\"Authorization\": \"Bearer ...\"}: ",
          "Headers must be a JSON object of strings, e.g. {\"Authorization\": \"Bearer ...\"}: ");
    for (const std::string h : {"{not json", "[1, 2]", "\"Authorization: x\"", "42", "{\"X-A\": {\"b\": 1}}",
                                "{\"X-A\": [\"b\"]}", "{\"X-A\": null}", "{\"X-A\": \"b\""}) {
        auto r = cl.connect(url, h);
        expectFailure(c, r, "Подключиться with Headers " + h, prefix, ru(), /*prefixOnly=*/true);
        EXPECT_NE(cl.status(), 1);
    }
    // Names and values HTTP does not allow: refused before anything is sent (no header injection).
    const std::string invalid = tr(ru(), "Недопустимый заголовок ", "Invalid header ");
    for (auto [h, name] : std::vector<std::pair<std::string, std::string>>{
             {"{\"Bad Name\": \"x\"}", "Bad Name"},
             {"{\"X-Evil\": \"a\\r\\nX-Injected: 1\"}", "X-Evil"},
             {"{\"\": \"x\"}", ""}}) {
        auto r = cl.connect(url, h);
        expectFailure(c, r, "Подключиться with Headers " + h, invalid + name, ru(), /*prefixOnly=*/true);
        EXPECT_NE(cl.status(), 1);
    }
}

TEST_P(ClientErrors, UnreadableTrustedCertificate) {
    Component& c = makeClient(GetParam());
    Client cl(c);
    TempDir t;
    writeFile(t.file("garbage.pem"), "this is not a certificate\n");
    const std::string prefix = tr(ru(), "Не удалось прочитать доверенный сертификат ", "Cannot read the trusted certificate ");
    const std::string url = "wss://127.0.0.1:" + std::to_string(freePort()) + "/";
    // A Cyrillic path in Russian (the English text must not contain Cyrillic of its own).
    const std::string missing = ru() ? "/nonexistent/каталог/корень.pem" : "/nonexistent/dir/root ca.pem";
    for (const std::string& path : {missing, t.file("garbage.pem"), t.path()}) {
        ASSERT_TRUE(cl.setTrustedCertificate(path));
        auto r = cl.connect(url, "", 5000);
        expectFailure(c, r, "ДоверенныйСертификат = " + path, prefix + path, ru(), /*prefixOnly=*/true);
        EXPECT_NE(cl.status(), 1);
    }
}

TEST_P(ClientErrors, ConnectWhileConnected) {
    Component& c = makeClient(GetParam());
    Client cl(c);
    EchoBackend b;
    ASSERT_TRUE(start(b, Backend::Ours));
    const std::string url = b.url("/");
    ASSERT_TRUE(cl.connect(url).isTrue());
    auto r = cl.connect(url);
    expectFailure(c, r, "Подключиться twice",
                  tr(ru(), "Уже подключено к " + url + "; сначала вызовите Отключиться()",
                    "Already connected to " + url + "; call Disconnect() first"),
                  ru());
    EXPECT_EQ(cl.status(), 1) << "the first connection goes on";
    ASSERT_TRUE(cl.sendText("still here"));
    ASSERT_TRUE(b.pump(1));
    auto m = cl.receive(10000);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->text, "still here");
}

TEST_P(ClientErrors, BadCastNamesTheParameter) {
    Component& c = makeClient(GetParam());
    struct Case {
        std::string method;
        std::vector<Variant> args;
        int param;
        std::string en, ru;
    };
    std::vector<Case> cases;
    cases.push_back({"Подключиться", {I(5)}, 1, "Url", "Адрес"});
    cases.push_back({"Подключиться", {S("ws://127.0.0.1:1/"), I(5)}, 2, "Headers", "Заголовки"});
    cases.push_back({"Подключиться", {S("ws://127.0.0.1:1/"), S(""), S("1000")}, 3, "Timeout", "Таймаут"});
    cases.push_back({"Отправить", {I(5)}, 1, "Body", "ТелоСообщения"});
    cases.push_back({"Отправить", {B(true)}, 1, "Body", "ТелоСообщения"});
    cases.push_back({"Принять", {S("100"), S("")}, 1, "Timeout", "Таймаут"});
    for (auto& k : cases) {
        const std::string what = k.method + " with a wrong parameter " + std::to_string(k.param);
        auto r = c.call(k.method, k.args);
        ASSERT_FALSE(r.errors.empty()) << what << ": " << r.describe();
        const std::string want = tr(ru(), "<bad cast>: параметр " + std::to_string(k.param) + " (" + k.ru + ")",
                                   "<bad cast>: parameter " + std::to_string(k.param) + " (" + k.en + ")");
        expectFailure(c, r, what, want, ru(), /*prefixOnly=*/true);
    }
}

// What the properties say after a failed Подключиться. The contract: Статус -1 "the connection
// failed"; КодЗакрытия "the last connection's close code". Argument errors are reported, not asserted.
TEST_P(ClientErrors, PropertiesAfterAFailedConnect) {
    Component& c = makeClient(GetParam());
    Client cl(c);
    auto r = cl.connect("not a url");
    EXPECT_FALSE(r.ok);
    std::printf("[ info ] fresh object, malformed URL: Статус %ld, Сервер \"%s\"\n", cl.status(), cl.server().c_str());
    r = cl.connect("ws://127.0.0.1:1/", "{bad");
    std::printf("[ info ] fresh object, bad Headers: Статус %ld\n", cl.status());

    EchoBackend b;
    ASSERT_TRUE(start(b, Backend::Ours));
    ASSERT_TRUE(cl.connect(b.url("/"), R"({"Sec-WebSocket-Protocol": "p1"})").isTrue());
    cl.disconnect();
    EXPECT_EQ(cl.closeCode(), 1000);
    const std::string refused = "ws://127.0.0.1:" + std::to_string(freePort()) + "/";
    r = cl.connect(refused);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(cl.status(), -1);
    EXPECT_EQ(cl.server(), refused) << "Сервер is the URL of the last attempt";
    std::printf("[ info ] after a refused connect that followed a closed connection: КодЗакрытия %ld, Подпротокол \"%s\"\n",
                cl.closeCode(), cl.subprotocol().c_str());
    r = cl.connect("not a url");
    std::printf("[ info ] then a malformed URL: Статус %ld, Сервер \"%s\"\n", cl.status(), cl.server().c_str());
}

// docs/api.en.md, "Choices where the contract is silent": a negative Timeout is an error.
TEST_P(ClientErrors, NegativeTimeouts) {
    Component& c = makeClient(GetParam());
    Client cl(c);
    std::vector<Variant> a{I(-1), S("")};
    auto r = c.call("Принять", a);
    EXPECT_FALSE(r.ok) << "Принять(-1): " << r.describe();
    EXPECT_FALSE(r.errors.empty()) << r.describe();

    EchoBackend b;
    ASSERT_TRUE(start(b, Backend::Ours));
    r = cl.connect(b.url("/"), "", -5);
    EXPECT_FALSE(r.ok) << "Подключиться(Url, \"\", -5) should fail like every negative Timeout: " << r.describe();
    EXPECT_FALSE(r.errors.empty());
    cl.disconnect();
}

INSTANTIATE_TEST_SUITE_P(Lang, ClientErrors, ::testing::Values("ru", "en"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

// ===================================================================================================
// Data both ways, with every backend, over ws:// and wss://.
// ===================================================================================================
class ClientEcho : public ClientTest, public ::testing::WithParamInterface<std::tuple<Backend, bool>> {
protected:
    void SetUp() override {
        ClientTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        Backend kind = std::get<0>(GetParam());
        if (kind == Backend::Node && !requireRef(RefKind::Node)) return;
        if (kind == Backend::Python && !requireRef(RefKind::Python)) return;
        if (tls()) {
            const auto& k = certs();
            ASSERT_TRUE(k.ok);
            ASSERT_TRUE(start(b_, kind, k.base.serverCert, k.base.serverKey));
        } else {
            ASSERT_TRUE(start(b_, kind));
        }
        cc_ = &makeClient();
        cl_ = std::make_unique<Client>(*cc_);
        if (tls()) {
            ASSERT_TRUE(cl_->setTrustedCertificate(clientCerts().base.caCert));
        }
    }
    bool tls() const { return std::get<1>(GetParam()); }
    Backend kind() const { return std::get<0>(GetParam()); }
    std::string echoUrl() const { return b_.url(kind() == Backend::Ours ? "/" : "/echo"); }
    /// Connects the client to the echo URL; false (with a failure recorded) otherwise.
    bool connectEcho() {
        auto r = cl_->connect(echoUrl());
        EXPECT_TRUE(r.isTrue()) << echoUrl() << ": " << r.describe() << "\n" << b_.diagnostics();
        return r.isTrue();
    }

    EchoBackend b_;
    Component* cc_ = nullptr;
    std::unique_ptr<Client> cl_;
};

TEST_P(ClientEcho, CyrillicAndEmojiTextBothWays) {
    ASSERT_TRUE(connectEcho());
    EXPECT_EQ(cl_->status(), 1);
    EXPECT_EQ(cl_->server(), echoUrl());
    EXPECT_EQ(cl_->closeCode(), 0) << "0 while open";
    EXPECT_EQ(cl_->subprotocol(), "") << "none offered";
    for (const std::string& text : {kHello, std::string(""), std::string("a"), std::string(1000, 'z') + kHello}) {
        ASSERT_TRUE(cl_->sendText(text));
        ASSERT_TRUE(b_.pump(1));
        auto m = cl_->receive(15000);
        ASSERT_TRUE(m) << b_.diagnostics();
        EXPECT_FALSE(m->binary) << "a text frame arrives as Строка";
        EXPECT_EQ(m->text, text);
        EXPECT_EQ(m->wide, toUtf16(text)) << "UTF-16 units as 1C sees them";
    }
}

TEST_P(ClientEcho, BinaryBothWays) {
    ASSERT_TRUE(connectEcho());
    std::vector<uint8_t> bytes;
    for (int i = 0; i < 256; ++i) bytes.push_back(uint8_t(i));
    bytes.insert(bytes.end(), {0, 0, 0xFF, 0xFE, 0xD0, 0x9F, 0xF0, 0x9F, 0x98});  // not valid UTF-8 on purpose
    for (const auto& payload : {bytes, std::vector<uint8_t>{0}, std::vector<uint8_t>{}}) {
        ASSERT_TRUE(cl_->sendBinary(payload)) << payload.size() << " bytes";
        ASSERT_TRUE(b_.pump(1));
        CallResult raw;
        Variant data;
        auto m = cl_->receive(15000, &raw, &data);
        ASSERT_TRUE(m) << raw.describe() << "\n" << b_.diagnostics();
        EXPECT_TRUE(m->binary) << "a binary frame of " << payload.size() << " bytes arrives as ДвоичныеДанные: "
                               << data.describe();
        EXPECT_EQ(m->bytes, payload);
    }
}

TEST_P(ClientEcho, TenMegabytesBothWays) {
    const size_t n = 10 * 1024 * 1024;
    ASSERT_TRUE(connectEcho());
    const std::string text = generatedText(n - 3) + "жё";  // 2-byte characters at the very end
    const std::vector<uint8_t> bin = generatedBinary(n);
    ASSERT_TRUE(cl_->sendText(text));
    ASSERT_TRUE(cl_->sendBinary(bin));
    ASSERT_TRUE(b_.pump(2, 60000));
    auto m = cl_->receive(60000);
    ASSERT_TRUE(m) << b_.diagnostics();
    EXPECT_FALSE(m->binary);
    EXPECT_EQ(m->text.size(), text.size());
    EXPECT_EQ(sha256Hex(m->text), sha256Hex(text));
    m = cl_->receive(60000);
    ASSERT_TRUE(m) << b_.diagnostics();
    EXPECT_TRUE(m->binary);
    EXPECT_EQ(m->bytes.size(), bin.size());
    EXPECT_EQ(sha256Hex(m->bytes), sha256Hex(bin));
}

TEST_P(ClientEcho, ThousandsOfMessagesInOrder) {
    const int count = 3000;  // more than the client's queue of 1024: reading pauses and resumes
    ASSERT_TRUE(connectEcho());
    for (int i = 0; i < count; ++i) {
        bool ok = i % 10 == 9 ? cl_->sendBinary({uint8_t(i & 0xFF), uint8_t(i >> 8)}) : cl_->sendText("m" + std::to_string(i));
        ASSERT_TRUE(ok) << "Отправить " << i;
    }
    ASSERT_TRUE(b_.pump(count));
    for (int i = 0; i < count; ++i) {
        auto m = cl_->receive(15000);
        ASSERT_TRUE(m) << "message " << i << " of " << count << "\n" << b_.diagnostics();
        if (i % 10 == 9) {
            ASSERT_TRUE(m->binary) << i;
            ASSERT_EQ(m->bytes, (std::vector<uint8_t>{uint8_t(i & 0xFF), uint8_t(i >> 8)})) << i;
        } else {
            ASSERT_FALSE(m->binary) << i;
            ASSERT_EQ(m->text, "m" + std::to_string(i)) << "lost, duplicated or out of order";
        }
    }
    EXPECT_FALSE(cl_->receive(300)) << "a message delivered twice";
}

TEST_P(ClientEcho, DisconnectClosesWith1000) {
    ASSERT_TRUE(connectEcho());
    ASSERT_TRUE(cl_->sendText("bye soon"));
    ASSERT_TRUE(b_.pump(1));
    ASSERT_TRUE(cl_->receive(15000));
    auto t0 = std::chrono::steady_clock::now();
    auto r = cl_->disconnect();
    EXPECT_LT(msSince(t0), 2000) << "Отключиться with a responsive server";
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_TRUE(r.errors.empty()) << r.describe();
    EXPECT_EQ(cl_->status(), 0);
    EXPECT_EQ(cl_->closeCode(), 1000);
    EXPECT_EQ(b_.waitClosedCode(10s), 1000) << "the server sees close 1000: " << b_.diagnostics();
    r = cl_->disconnect();
    EXPECT_TRUE(r.ok && r.errors.empty()) << "Отключиться twice: " << r.describe();
    EXPECT_EQ(cl_->status(), 0);
    auto t1 = std::chrono::steady_clock::now();
    EXPECT_FALSE(cl_->receive(3000));
    EXPECT_LT(msSince(t1), 500) << "Принять after Отключиться returns False at once";

    // The same object connects again.
    ASSERT_TRUE(connectEcho());
    EXPECT_EQ(cl_->status(), 1);
    EXPECT_EQ(cl_->closeCode(), 0) << "a new connection is open";
    ASSERT_TRUE(cl_->sendText("again"));
    ASSERT_TRUE(b_.pump(1));
    auto m = cl_->receive(15000);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->text, "again");
    cl_->disconnect();
}

TEST_P(ClientEcho, ReceiveTimeoutReturnsFalsePromptly) {
    ASSERT_TRUE(connectEcho());
    CallResult raw;
    Variant data;
    auto t0 = std::chrono::steady_clock::now();
    auto m = cl_->receive(300, &raw, &data);
    auto took = msSince(t0);
    EXPECT_FALSE(m);
    EXPECT_TRUE(raw.ok) << raw.describe();
    EXPECT_TRUE(raw.ret.isBool()) << raw.ret.describe();
    EXPECT_TRUE(raw.errors.empty()) << raw.describe();
    EXPECT_GE(took, 250) << "returned before the timeout";
    EXPECT_LT(took, 1500) << "returned long after the timeout";
    EXPECT_TRUE(data.isString() && data.str().empty()) << "Data = " << data.describe();
    EXPECT_EQ(cl_->status(), 1) << "a timeout does not touch the connection";
}

TEST_P(ClientEcho, DestroyedWhileMessagesAreFlowing) {
    const int baselineSockets = lib().socketCount();
    ASSERT_TRUE(connectEcho());
    std::vector<uint8_t> chunk(32 * 1024, 0x5A);
    for (int i = 0; i < 300; ++i) ASSERT_TRUE(cl_->sendBinary(chunk)) << i;
    if (b_.server) {
        // Ours floods the client too.
        long id = 0;
        ASSERT_TRUE(b_.pump(10, 30000, &id));
        for (int i = 0; i < 500; ++i) b_.server->call("Отправить", {I(int32_t(id)), S(std::string(8192, 'f'))});
    }
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(cl_->receive(15000)) << i << "\n" << b_.diagnostics();
    step("Done + DestroyObject of the client while messages flow");
    auto t0 = std::chrono::steady_clock::now();
    cc_->destroy();
    auto took = msSince(t0);
    EXPECT_LT(took, 5000) << "destroying the object must not hang 1C";
    int code = b_.waitClosedCode(15s);
    EXPECT_NE(code, -1) << "the server never saw the connection end: " << b_.diagnostics();
    std::printf("[ info ] destroy took %lld ms; the server saw close code %d\n", took, code);
    if (!b_.server) {
        EXPECT_TRUE(waitUntil([&] { return lib().socketCount() <= baselineSockets; }, 10s))
            << "sockets still open in " << lib().where() << ": " << lib().socketCount() << " (before: " << baselineSockets
            << ")";
    }
}

INSTANTIATE_TEST_SUITE_P(
    Servers, ClientEcho,
    ::testing::Combine(::testing::Values(Backend::Node, Backend::Python, Backend::Ours), ::testing::Bool()),
    [](const ::testing::TestParamInfo<std::tuple<Backend, bool>>& i) {
        return std::string(backendName(std::get<0>(i.param))) + (std::get<1>(i.param) ? "_wss" : "_ws");
    });

// ===================================================================================================
// The reference servers' routes: close, vanish, headers.
// ===================================================================================================
class ClientRef : public ClientTest, public ::testing::WithParamInterface<RefKind> {
protected:
    void SetUp() override {
        ClientTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        if (!requireRef(GetParam())) return;
        srv_ = std::make_unique<RefServer>(GetParam());
        ASSERT_TRUE(srv_->ok()) << srv_->why();
    }
    std::unique_ptr<RefServer> srv_;
};

TEST_P(ClientRef, ServerClosesWithCodeAndReason) {
    Component& c = makeClient();
    Client cl(c);
    auto r = cl.connect(srv_->url("/close?code=4000&reason=bye"));
    ASSERT_TRUE(r.isTrue()) << r.describe();
    auto t0 = std::chrono::steady_clock::now();
    CallResult raw;
    Variant data;
    EXPECT_FALSE(cl.receive(10000, &raw, &data)) << "nothing was sent before the close";
    EXPECT_LT(msSince(t0), 2000) << "Принять returns False as soon as the close arrives";
    EXPECT_TRUE(raw.ok && raw.errors.empty()) << raw.describe();
    EXPECT_TRUE(data.isString() && data.str().empty()) << data.describe();
    EXPECT_TRUE(waitUntil([&] { return cl.status() == 0; }, 3s)) << "Статус " << cl.status() << ": closed by handshake is 0";
    EXPECT_EQ(cl.closeCode(), 4000);
    auto e = srv_->waitClosed(10s);
    ASSERT_TRUE(e) << srv_->diagnostics();
    EXPECT_EQ((*e)["code"], 4000) << "the client answers the close with the same code";
    t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(cl.receive(5000));
    EXPECT_LT(msSince(t0), 300) << "again: at once";
    auto s = cl.send(S("too late"));
    expectSendRefused(c, s, "Отправить after the server closed",
                      "The server " + srv_->url("/close?code=4000&reason=bye") + " closed the connection (code 4000 'bye')", false);

    // The default: 1000.
    r = cl.connect(srv_->url("/close"));
    ASSERT_TRUE(r.isTrue()) << r.describe();
    EXPECT_FALSE(cl.receive(10000));
    EXPECT_TRUE(waitUntil([&] { return cl.status() == 0; }, 3s)) << cl.status();
    EXPECT_EQ(cl.closeCode(), 1000);
}

TEST_P(ClientRef, ServerVanishesWithoutACloseFrame) {
    Component& c = makeClient();
    Client cl(c);
    const std::string url = srv_->url("/vanish");
    ASSERT_TRUE(cl.connect(url).isTrue());
    ASSERT_TRUE(cl.sendText("go away"));
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(cl.receive(10000));
    EXPECT_LT(msSince(t0), 2000) << "Принять returns False as soon as the connection breaks";
    EXPECT_TRUE(waitUntil([&] { return cl.status() == -1; }, 3s)) << "Статус " << cl.status() << " after the server vanished";
    EXPECT_EQ(cl.closeCode(), 1006);
    t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(cl.receive(5000));
    EXPECT_LT(msSince(t0), 300);
    auto r = cl.send(S("anyone?"));
    expectSendRefused(c, r, "Отправить after the connection broke",
                      "The connection to " + url + " broke (no close frame, code 1006)", false);
    // Отключиться on a broken connection raises nothing.
    auto d = cl.disconnect();
    EXPECT_TRUE(d.ok && d.errors.empty()) << d.describe();
}

TEST_P(ClientRef, HeadersAndSubprotocolReachTheServer) {
    Component& c = makeClient();
    Client cl(c);
    const std::string url = srv_->url("/headers?x=1&y=%D0%B6");
    const std::string headers =
        R"({"Authorization": "Bearer tok-123", "X-Custom": "v 1; a=b", "Cookie": "session=abc",)"
        R"( "Sec-WebSocket-Protocol": "chat.v2, other.v1", "X-Num": 42, "X-Flag": true})";
    auto r = cl.connect(url, headers);
    ASSERT_TRUE(r.isTrue()) << r.describe();
    EXPECT_EQ(cl.subprotocol(), "chat.v2") << "the server accepts the first offered";
    EXPECT_EQ(cl.server(), url);
    auto m = cl.receive(10000);
    ASSERT_TRUE(m) << srv_->diagnostics();
    auto j = json::parse(m->text, nullptr, false);
    ASSERT_TRUE(j.is_object()) << m->text;
    EXPECT_EQ(j["path"], "/headers?x=1&y=%D0%B6");
    EXPECT_EQ(j["subprotocol"], "chat.v2");
    auto& h = j["headers"];
    EXPECT_EQ(h.value("authorization", "<missing>"), "Bearer tok-123") << h.dump();
    EXPECT_EQ(h.value("x-custom", "<missing>"), "v 1; a=b") << h.dump();
    EXPECT_EQ(h.value("cookie", "<missing>"), "session=abc") << h.dump();
    EXPECT_EQ(h.value("x-num", "<missing>"), "42") << h.dump();
    EXPECT_EQ(h.value("x-flag", "<missing>"), "true") << h.dump();
    const std::string offered = h.value("sec-websocket-protocol", "<missing>");
    EXPECT_TRUE(offered == "chat.v2, other.v1" || offered == "chat.v2,other.v1") << h.dump();
    EXPECT_EQ(h.value("host", "<missing>"), "127.0.0.1:" + std::to_string(srv_->port())) << h.dump();
    // After it, /headers echoes.
    ASSERT_TRUE(cl.sendText(kHello));
    m = cl.receive(10000);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->text, kHello);
    cl.disconnect();

    // A Cyrillic query is sent percent-encoded (UTF-8), and Сервер keeps the URL as given.
    const std::string cyr = srv_->url("/headers?q=значение");
    ASSERT_TRUE(cl.connect(cyr).isTrue());
    EXPECT_EQ(cl.server(), cyr);
    m = cl.receive(10000);
    ASSERT_TRUE(m);
    j = json::parse(m->text, nullptr, false);
    EXPECT_EQ(j.value("path", ""), "/headers?q=%D0%B7%D0%BD%D0%B0%D1%87%D0%B5%D0%BD%D0%B8%D0%B5") << m->text;
    cl.disconnect();

    // Without a subprotocol: "".
    ASSERT_TRUE(cl.connect(srv_->url("/echo"), "{}").isTrue());
    EXPECT_EQ(cl.subprotocol(), "");
    cl.disconnect();
}

// The event's Данные is the URL even when the server speaks first (the message may arrive before
// Подключиться has returned).
TEST_P(ClientRef, ExternalEventDataIsTheUrlWhenTheServerSpeaksFirst) {
    Component& c = makeClient();
    Client cl(c);
    ASSERT_TRUE(cl.setExternalEvents(true));
    for (int i = 0; i < 10; ++i) {
        const std::string url = srv_->url("/headers?n=" + std::to_string(i));
        ASSERT_TRUE(cl.connect(url).isTrue());
        EventRecord ev;
        ASSERT_TRUE(c.platform().takeEvent(&ev, 5s)) << "no ExternalEvent for the server's first message";
        EXPECT_EQ(ev.source, "AddIn.WebSocket.Client");
        EXPECT_EQ(ev.message, "message") << "one spelling: the word Receive gives for a message";
        EXPECT_EQ(ev.data, url) << "connection " << i;
        ASSERT_TRUE(cl.receive(5000));
        cl.disconnect();
        // The end of the connection is announced too, with its own URL.
        ASSERT_TRUE(c.platform().takeEvent(&ev, 5s)) << "no ExternalEvent for the end of connection " << i;
        EXPECT_EQ(ev.message, "disconnected") << "connection " << i;
        EXPECT_EQ(ev.data, url) << "connection " << i;
    }
}

INSTANTIATE_TEST_SUITE_P(Servers, ClientRef, ::testing::Values(RefKind::Node, RefKind::Python),
                         [](const ::testing::TestParamInfo<RefKind>& i) { return std::string(refKindName(i.param)); });

// ===================================================================================================
// wss:// trust settings, with every backend.
// ===================================================================================================
class ClientTls : public ClientTest, public ::testing::WithParamInterface<Backend> {
protected:
    void SetUp() override {
        ClientTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        if (GetParam() == Backend::Node && !requireRef(RefKind::Node)) return;
        if (GetParam() == Backend::Python && !requireRef(RefKind::Python)) return;
        ASSERT_TRUE(certs().ok);
    }
    /// A backend with this certificate; the client with this TrustedCertificate connects to host
    /// and echoes one message.
    void expectTrusted(const std::string& cert, const std::string& key, const std::string& trusted,
                       const std::vector<std::string>& hosts, const std::string& what) {
        EchoBackend b;
        ASSERT_TRUE(start(b, GetParam(), cert, key)) << what;
        Component& c = makeClient();
        Client cl(c);
        ASSERT_TRUE(cl.setTrustedCertificate(trusted));
        for (auto& host : hosts) {
            const std::string url = b.url(GetParam() == Backend::Ours ? "/" : "/echo", host);
            auto r = cl.connect(url, "", 10000);
            ASSERT_TRUE(r.isTrue()) << what << ", " << url << ": " << r.describe();
            ASSERT_TRUE(cl.sendText(kHello));
            ASSERT_TRUE(b.pump(1));
            auto m = cl.receive(10000);
            ASSERT_TRUE(m) << what;
            EXPECT_EQ(m->text, kHello);
            cl.disconnect();
        }
    }
};

TEST_P(ClientTls, TrustTheCaAsPem) {
    const auto& k = clientCerts();
    expectTrusted(k.base.serverCert, k.base.serverKey, k.base.caCert, {"127.0.0.1", "localhost"}, "CA (PEM)");
}

TEST_P(ClientTls, TrustTheCaAsDer) {
    const auto& k = clientCerts();
    expectTrusted(k.base.serverCert, k.base.serverKey, k.caDer, {"127.0.0.1"}, "CA (DER)");
}

TEST_P(ClientTls, TrustASelfSignedServerCertificate) {
    const auto& k = clientCerts();
    expectTrusted(k.base.selfSignedCert, k.base.selfSignedKey, k.base.selfSignedCert, {"127.0.0.1", "localhost"},
                  "self-signed (openssl req -x509 defaults: CA:TRUE)");
}

TEST_P(ClientTls, TrustASelfSignedLeafCertificate) {
    const auto& k = clientCerts();
    expectTrusted(k.leafCert, k.leafKey, k.leafCert, {"127.0.0.1"}, "self-signed leaf (CA:FALSE)");
}

TEST_P(ClientTls, PinTheThumbprint) {
    const auto& k = clientCerts();
    expectTrusted(k.base.serverCert, k.base.serverKey, k.serverSha256, {"127.0.0.1"}, "SHA-256 AB:CD:.. form");
    expectTrusted(k.base.serverCert, k.base.serverKey, plainHex(k.serverSha256), {"127.0.0.1"}, "SHA-256 lower-case hex");
    expectTrusted(k.base.serverCert, k.base.serverKey, k.serverSha1, {"127.0.0.1"}, "SHA-1");
    // A pin accepts exactly that certificate, whatever name it is for.
    expectTrusted(k.wrongNameCert, k.wrongNameKey, k.wrongNameSha256, {"127.0.0.1"}, "SHA-256 of a cert for wrong.example");
}

INSTANTIATE_TEST_SUITE_P(Servers, ClientTls, ::testing::Values(Backend::Node, Backend::Python, Backend::Ours),
                         [](const ::testing::TestParamInfo<Backend>& i) { return std::string(backendName(i.param)); });

// ===================================================================================================
// Against our own server object, in the same process.
// ===================================================================================================
class ClientOurs : public ClientTest {
protected:
    void SetUp() override {
        ClientTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        ASSERT_TRUE(start(b_, Backend::Ours));
    }
    /// The client connects and says hello; returns its id on our server.
    long hello(Client& cl, const std::string& headers = "") {
        auto r = headers.empty() ? cl.connect(b_.url("/")) : cl.connect(b_.url("/"), headers);
        EXPECT_TRUE(r.isTrue()) << r.describe();
        if (!r.isTrue()) return 0;
        EXPECT_TRUE(cl.sendText("hello"));
        for (int i = 0; i < 5; ++i) {
            auto e = receiveEvent(*b_.server, 10000);
            if (!e) break;
            if (e->event == "message") {
                EXPECT_EQ(e->msg.text, "hello");
                return e->id;
            }
        }
        ADD_FAILURE() << "our server never got the hello";
        return 0;
    }
    CallResult serverSend(long id, const std::string& text) {
        return b_.server->call("Отправить", {I(int32_t(id)), S(text)});
    }
    EchoBackend b_;
};

TEST_F(ClientOurs, ServerClosesAfterMessagesWithCodeAndReason) {
    Component& c = makeClient();
    Client cl(c);
    long id = hello(cl);
    ASSERT_GT(id, 0);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(serverSend(id, "m" + std::to_string(i)).isTrue());
    auto r = b_.server->call("Отключить", {I(int32_t(id)), I(4000), S("bye")});
    ASSERT_TRUE(r.isTrue()) << r.describe();
    for (int i = 0; i < 3; ++i) {
        auto m = cl.receive(10000);
        ASSERT_TRUE(m) << "what came before the close is received: " << i;
        EXPECT_EQ(m->text, "m" + std::to_string(i));
    }
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(cl.receive(10000));
    EXPECT_LT(msSince(t0), 2000) << "then False as soon as the close arrives";
    EXPECT_TRUE(waitUntil([&] { return cl.status() == 0; }, 3s)) << "Статус " << cl.status();
    EXPECT_EQ(cl.closeCode(), 4000);
    t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(cl.receive(10000));
    EXPECT_LT(msSince(t0), 300) << "at once";
}

TEST_F(ClientOurs, MessagesQueuedBeforeAVanishStayAvailable) {
    VanishingServer v(3);
    ASSERT_TRUE(v.ok()) << v.diagnostics();
    Component& c = makeClient();
    Client cl(c);
    ASSERT_TRUE(cl.connect(v.url()).isTrue()) << v.diagnostics();
    // The connection is known broken before 1C takes anything.
    EXPECT_TRUE(waitUntil([&] { return cl.status() == -1; }, 5s)) << "Статус " << cl.status();
    EXPECT_EQ(cl.closeCode(), 1006);
    for (int i = 0; i < 3; ++i) {
        auto m = cl.receive(5000);
        ASSERT_TRUE(m) << "message " << i << " arrived before the connection broke: it must not be lost";
        EXPECT_EQ(m->text, "q" + std::to_string(i));
    }
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(cl.receive(10000));
    EXPECT_LT(msSince(t0), 300) << "after the last queued message: False at once";
}

TEST_F(ClientOurs, ServerStopClosesWith1001) {
    Component& c = makeClient();
    Client cl(c);
    ASSERT_GT(hello(cl), 0);
    ASSERT_TRUE(b_.server->call("Остановить").ok);
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(cl.receive(10000));
    EXPECT_LT(msSince(t0), 3000);
    EXPECT_TRUE(waitUntil([&] { return cl.status() == 0; }, 3s)) << "Статус " << cl.status();
    EXPECT_EQ(cl.closeCode(), 1001);
}

TEST_F(ClientOurs, SubprotocolAndHeadersSeenByOurServer) {
    // Our server chooses among its own subprotocols.
    Component& s2c = make("en");
    ASSERT_TRUE(s2c.set("Подпротоколы", S("chat.v2")));
    ASSERT_TRUE(s2c.call("Запустить", {S("127.0.0.1"), I(0)}).isTrue());
    const std::string url = "ws://127.0.0.1:" + std::to_string(s2c.get("Порт").integer()) + "/path?token=t1";
    Component& c = makeClient();
    Client cl(c);
    auto r = cl.connect(url, R"({"Authorization": "Bearer xyz", "Sec-WebSocket-Protocol": "other.v1, chat.v2"})");
    ASSERT_TRUE(r.isTrue()) << r.describe();
    EXPECT_EQ(cl.subprotocol(), "chat.v2");
    ASSERT_TRUE(cl.sendText("hi"));
    std::vector<Variant> a{I(10000), I(0), S("")};
    ASSERT_TRUE(s2c.call("Принять", a).isTrue());
    auto info = s2c.call("ИнформацияОСоединении", {a[1]});
    ASSERT_TRUE(info.ok) << info.describe();
    auto j = json::parse(info.ret.str(), nullptr, false);
    ASSERT_TRUE(j.is_object()) << info.ret.str();
    EXPECT_EQ(j.value("path", ""), "/path") << j.dump();
    EXPECT_EQ(j.value("subprotocol", ""), "chat.v2") << j.dump();
    EXPECT_NE(j.dump().find("Bearer xyz"), std::string::npos) << j.dump();
    EXPECT_NE(j.dump().find("token=t1"), std::string::npos) << j.dump();
    cl.disconnect();
    s2c.call("Остановить");
}

TEST_F(ClientOurs, ReceiveZeroWaitsForAMessageAndForTheClose) {
    Component& c = makeClient();
    Client cl(c);
    long id = hello(cl);
    ASSERT_GT(id, 0);
    for (int round = 0; round < 2; ++round) {
        std::atomic<bool> done{false};
        std::optional<Msg> got;
        std::thread t([&] {
            got = cl.receive(0);
            done = true;
        });
        std::this_thread::sleep_for(300ms);
        EXPECT_FALSE(done) << "Принять(0) returned without a message";
        if (round == 0) {
            ASSERT_TRUE(serverSend(id, "wake up").isTrue());
        } else {
            b_.server->call("Отключить", {I(int32_t(id))});
        }
        if (!waitUntil([&] { return done.load(); }, 5s)) {
            std::fprintf(stderr, "FAIL: client Принять(0) still blocked 5 s after %s; aborting the test process\n",
                         round == 0 ? "a message was sent" : "the server closed the connection");
            std::_Exit(4);
        }
        t.join();
        if (round == 0) {
            ASSERT_TRUE(got);
            EXPECT_EQ(got->text, "wake up");
        } else {
            EXPECT_FALSE(got) << "Принять(0) returns False when the connection closes";
        }
    }
}

TEST_F(ClientOurs, DisconnectWhileUnreadMessagesFillTheQueue) {
    Component& c = makeClient();
    Client cl(c);
    long id = hello(cl);
    ASSERT_GT(id, 0);
    // More than the client queues (1024 messages): its reading pauses.
    for (int i = 0; i < 3000; ++i) ASSERT_TRUE(serverSend(id, "f" + std::to_string(i)).isTrue()) << i;
    std::this_thread::sleep_for(500ms);
    auto t0 = std::chrono::steady_clock::now();
    auto r = cl.disconnect();
    auto took = msSince(t0);
    EXPECT_TRUE(r.ok && r.errors.empty()) << r.describe();
    EXPECT_LT(took, 2000) << "Отключиться blocked 1C for " << took << " ms while unread messages were queued";
    EXPECT_EQ(cl.status(), 0);
    EXPECT_EQ(cl.closeCode(), 1000) << "Отключиться is a close handshake, not an abort";
    auto t1 = std::chrono::steady_clock::now();
    EXPECT_EQ(b_.waitClosedCode(10s), 1000) << b_.diagnostics();
    int left = 0;
    while (cl.receive(0)) ++left;
    std::printf("[ info ] Disconnect took %lld ms; CloseCode %ld; the server saw the close %lld ms later; %d messages "
                "left to Receive after Disconnect\n", took, cl.closeCode(), msSince(t1), left);
}

TEST_F(ClientOurs, EverythingSentBeforeDisconnectArrives) {
    Component& c = makeClient();
    Client cl(c);
    long id = hello(cl);
    ASSERT_GT(id, 0);
    const int count = 200;
    for (int i = 0; i < count; ++i) ASSERT_TRUE(cl.sendText("s" + std::to_string(i) + std::string(2000, '.')));
    auto r = cl.disconnect();  // at once: most are still queued
    EXPECT_TRUE(r.ok && r.errors.empty()) << r.describe();
    int got = 0;
    int code = -1;
    while (true) {
        auto e = receiveEvent(*b_.server, 10000);
        ASSERT_TRUE(e) << "after " << got << " messages";
        if (e->event == "disconnected") {
            auto j = json::parse(e->msg.text, nullptr, false);
            code = j.is_object() ? j.value("code", -2) : -2;
            break;
        }
        if (e->event != "message") continue;
        ASSERT_EQ(e->msg.text.substr(0, e->msg.text.find('.')), "s" + std::to_string(got)) << "lost or out of order";
        ++got;
    }
    EXPECT_EQ(got, count) << "Отключиться closes after what was queued";
    EXPECT_EQ(code, 1000);
}

TEST_F(ClientOurs, AnswersServerPingsWhileIdle) {
    Component& s = make("en");
    ASSERT_TRUE(s.set("ИнтервалПинга", I(200)));
    ASSERT_TRUE(s.set("ТаймаутПинга", I(600)));
    ASSERT_TRUE(s.call("Запустить", {S("127.0.0.1"), I(0)}).isTrue());
    Component& c = makeClient();
    Client cl(c);
    ASSERT_TRUE(cl.connect("ws://127.0.0.1:" + std::to_string(s.get("Порт").integer()) + "/").isTrue());
    std::this_thread::sleep_for(2500ms);  // 1C busy elsewhere: no Receive
    EXPECT_EQ(cl.status(), 1) << "the client must answer pings by itself";
    EXPECT_NE(s.get("Соединения").str(), "") << "our server dropped the client for not answering pings";
    ASSERT_TRUE(cl.sendText("still alive"));
    std::vector<Variant> a{I(5000), I(0), S("")};
    ASSERT_TRUE(s.call("Принять", a).isTrue());
    EXPECT_EQ(a[2].str(), "still alive");
    cl.disconnect();
    s.call("Остановить");
}

TEST_F(ClientOurs, IPv6Loopback) {
    Component& s = make("en");
    ASSERT_TRUE(s.call("Запустить", {S("::1"), I(0)}).isTrue());
    Component& c = makeClient();
    Client cl(c);
    const std::string url = "ws://[::1]:" + std::to_string(s.get("Порт").integer()) + "/v6";
    auto r = cl.connect(url);
    ASSERT_TRUE(r.isTrue()) << r.describe();
    EXPECT_EQ(cl.server(), url);
    ASSERT_TRUE(cl.sendText(kHello));
    std::vector<Variant> a{I(5000), I(0), S("")};
    ASSERT_TRUE(s.call("Принять", a).isTrue());
    EXPECT_EQ(a[2].str(), kHello);
    EXPECT_EQ(s.get("Соединения").str().find("[::1]:"), 2u) << s.get("Соединения").str();
    cl.disconnect();
    s.call("Остановить");
}

TEST_F(ClientOurs, ManyClientsOneServer) {
    std::vector<std::unique_ptr<Client>> clients;
    std::set<long> ids;
    for (int k = 0; k < 5; ++k) {
        clients.push_back(std::make_unique<Client>(makeClient(k % 2 ? "ru" : "en")));
        long id = hello(*clients.back());
        ASSERT_GT(id, 0);
        ids.insert(id);
    }
    EXPECT_EQ(ids.size(), 5u);
    auto n = b_.server->call("Разослать", {S(kHello)});
    ASSERT_TRUE(n.ok) << n.describe();
    EXPECT_EQ(n.ret.integer(), 5);
    for (auto& cl : clients) {
        auto m = cl->receive(10000);
        ASSERT_TRUE(m);
        EXPECT_EQ(m->text, kHello);
        EXPECT_FALSE(cl->receive(100));
    }
}

TEST_F(ClientOurs, EnglishNamesWork) {
    Component& c = makeClient();
    auto r = c.call("connect", {S(b_.url("/"))});
    ASSERT_TRUE(r.isTrue()) << r.describe();
    EXPECT_EQ(c.get("STATUS").integer(), 1);
    EXPECT_EQ(c.get("server").str(), b_.url("/"));
    r = c.call("SEND", {S("english")});
    ASSERT_TRUE(r.isTrue()) << r.describe();
    ASSERT_TRUE(b_.pump(1));
    std::vector<Variant> a{I(10000), S("")};
    r = c.call("Получить", a);
    ASSERT_TRUE(r.isTrue()) << "Получить is the third name of Receive: " << r.describe();
    EXPECT_EQ(a[1].str(), "english");
    r = c.call("Disconnect");
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_EQ(c.get("closecode").integer(), 1000);
    EXPECT_EQ(c.get("Status").integer(), 0);
}

// ---- ExternalEvent ---------------------------------------------------------------------------------
TEST_F(ClientOurs, ExternalEventsAtMostOneOutstanding) {
    Component& c = makeClient();
    Client cl(c);
    ASSERT_TRUE(cl.setExternalEvents(true));
    long id = hello(cl);
    ASSERT_GT(id, 0);
    const std::string url = b_.url("/");
    PlatformEvents& p = c.platform();
    ASSERT_EQ(p.eventsAccepted(), 0) << "no event before anything arrived";
    ASSERT_TRUE(serverSend(id, "e1").isTrue());
    EventRecord ev;
    ASSERT_TRUE(p.takeEvent(&ev, 5s)) << "no ExternalEvent after a message arrived";
    EXPECT_EQ(ev.source, "AddIn.WebSocket.Client");
    EXPECT_EQ(ev.message, "message") << "one spelling: the word Receive gives for a message";
    EXPECT_EQ(ev.data, url);
    // More messages while the form has not called Receive: no second event.
    ASSERT_TRUE(serverSend(id, "e2").isTrue());
    ASSERT_TRUE(serverSend(id, "e3").isTrue());
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(p.eventsAccepted(), 1) << "a second event while one is unread";
    EXPECT_EQ(p.bufferedEvents(), 0u);
    for (const char* want : {"e1", "e2", "e3"}) {
        auto m = cl.receive(5000);
        ASSERT_TRUE(m) << want;
        EXPECT_EQ(m->text, want);
    }
    EXPECT_FALSE(cl.receive(100));
    // After Receive, the next arrival raises a new event.
    ASSERT_TRUE(serverSend(id, "e4").isTrue());
    ASSERT_TRUE(p.takeEvent(&ev, 5s)) << "no event for a message that arrived after Receive";
    EXPECT_EQ(ev.data, url);
    auto m = cl.receive(5000);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->text, "e4");

    // Switched off: no more events.
    ASSERT_TRUE(cl.setExternalEvents(false));
    ASSERT_TRUE(cl.receive(100) == std::nullopt);
    long before = long(p.eventsAccepted() + p.eventsRefused());
    ASSERT_TRUE(serverSend(id, "quiet").isTrue());
    ASSERT_TRUE(cl.receive(5000));
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(long(p.eventsAccepted() + p.eventsRefused()), before) << "ExternalEvent with ВнешниеСобытия = Ложь";
}

// A form that lives on external events learns that its connection ended: one more event, after
// which Receive returns False at once and Status tells why.
TEST_F(ClientOurs, AnEventWhenTheConnectionEnds) {
    Component& c = makeClient();
    Client cl(c);
    ASSERT_TRUE(cl.setExternalEvents(true));
    long id = hello(cl);
    ASSERT_GT(id, 0);
    EventRecord ev;
    while (c.platform().takeEvent(&ev, 200ms)) {
    }
    auto r = b_.server->call("Отключить", {I(int32_t(id)), I(4005), S("bye")});
    ASSERT_TRUE(r.isTrue()) << r.describe();
    ASSERT_TRUE(c.platform().takeEvent(&ev, 5s)) << "no external event when the server closed the connection";
    EXPECT_EQ(ev.source, "AddIn.WebSocket.Client");
    EXPECT_EQ(ev.message, "disconnected");
    EXPECT_FALSE(cl.receive(100));
    EXPECT_EQ(cl.status(), 0);
    EXPECT_EQ(cl.closeCode(), 4005);
}

// НачатьПодключение: the form is not held while the connection is made. Status 2 meanwhile, then
// the event "connected" (Данные = the URL), and the connection works as after Подключиться.
TEST_F(ClientOurs, BeginConnectAnnouncesTheConnection) {
    Component& c = makeClient();
    Client cl(c);
    ASSERT_TRUE(cl.setExternalEvents(true));
    const std::string url = b_.url("/");
    auto r = c.call("НачатьПодключение", {S(url)});
    ASSERT_TRUE(r.isTrue()) << r.describe();
    EventRecord ev;
    ASSERT_TRUE(c.platform().takeEvent(&ev, 10s)) << "no event when the connection was made";
    EXPECT_EQ(ev.source, "AddIn.WebSocket.Client");
    EXPECT_EQ(ev.message, "connected");
    EXPECT_EQ(ev.data, url);
    EXPECT_EQ(cl.status(), 1);
    ASSERT_TRUE(cl.sendText("hello"));
    std::optional<long> id;
    for (int i = 0; i < 5 && !id; ++i) {
        auto e = receiveEvent(*b_.server, 10000);
        ASSERT_TRUE(e) << "the server never heard from the client";
        if (e->event == "message") {
            EXPECT_EQ(e->msg.text, "hello");
            id = e->id;
        }
    }
    ASSERT_TRUE(id);
    ASSERT_TRUE(b_.server->call("Отправить", {I(int32_t(*id)), S("привет")}).isTrue());
    auto m = cl.receive(10000);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->text, "привет");
    // Once open, BeginConnect refuses as Connect does.
    auto again = c.call("НачатьПодключение", {S(url)});
    EXPECT_FALSE(again.ok) << "BeginConnect while connected must raise";
    cl.disconnect();
}

// To a server that never answers: Status 2 while it waits; Send says it is still connecting; a
// second attempt raises; Отключиться cancels it at once, and the event "disconnected" comes with the
// reason in ОписаниеОшибки. With a timeout, the same event and Status -1.
TEST_F(ClientOurs, BeginConnectToAMuteServerCanBeCancelledAndTimesOut) {
    Component& c = makeClient();
    Client cl(c);
    ASSERT_TRUE(cl.setExternalEvents(true));
    Listener mute("127.0.0.1", 0);
    ASSERT_TRUE(mute.ok());
    const std::string url = "ws://127.0.0.1:" + std::to_string(mute.port()) + "/";

    auto r = c.call("НачатьПодключение", {S(url), S(""), I(60000)});
    ASSERT_TRUE(r.isTrue()) << r.describe();
    EXPECT_EQ(cl.status(), 2) << "Status while the connection is being made";
    EXPECT_FALSE(cl.sendText("too early"));
    EXPECT_NE(cl.errorDescription().find("Still connecting"), std::string::npos) << cl.errorDescription();
    auto second = c.call("НачатьПодключение", {S(url)});
    EXPECT_FALSE(second.ok) << "a second attempt while one is under way must raise";
    EXPECT_NE(cl.errorDescription().find("Already connecting to " + url), std::string::npos) << cl.errorDescription();
    EXPECT_FALSE(cl.receive(10)) << "nothing to receive while connecting";
    cl.disconnect();
    EXPECT_EQ(cl.status(), 0) << "Отключиться during the attempt leaves the client not connected";
    EventRecord ev;
    ASSERT_TRUE(c.platform().takeEvent(&ev, 5s)) << "no event for the cancelled attempt";
    EXPECT_EQ(ev.message, "disconnected");
    EXPECT_EQ(ev.data, url);
    EXPECT_NE(cl.errorDescription().find("was cancelled by Disconnect"), std::string::npos) << cl.errorDescription();

    r = c.call("НачатьПодключение", {S(url), S(""), I(500)});
    ASSERT_TRUE(r.isTrue()) << r.describe();
    ASSERT_TRUE(c.platform().takeEvent(&ev, 10s)) << "no event when the attempt timed out";
    EXPECT_EQ(ev.message, "disconnected");
    EXPECT_EQ(cl.status(), -1);
    EXPECT_NE(cl.errorDescription().find("Timed out connecting to " + url), std::string::npos) << cl.errorDescription();
}

TEST_F(ClientOurs, AFullEventBufferLosesNoMessage) {
    Component& c = makeClient();
    Client cl(c);
    ASSERT_TRUE(cl.setExternalEvents(true));
    long id = hello(cl);
    ASSERT_GT(id, 0);
    PlatformEvents& p = c.platform();
    // The platform's buffer: depth 1, already holding another add-in's event.
    ASSERT_TRUE(p.setEventBufferDepth(1));
    ASSERT_TRUE(p.externalEvent("AddIn.Other", "Other", "x"));
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(serverSend(id, "b" + std::to_string(i)).isTrue());
    EXPECT_TRUE(waitUntil([&] { return p.eventsRefused() >= 1; }, 5s)) << "the add-in never tried ExternalEvent";
    std::this_thread::sleep_for(300ms);
    // The form handles the other event. Nothing new arrives: is the waiting message announced?
    EventRecord ev;
    ASSERT_TRUE(p.takeEvent(&ev, 1s));
    EXPECT_EQ(ev.source, "AddIn.Other");
    bool announced = p.takeEvent(&ev, 1500ms);
    std::printf("[ info ] after the full buffer drained, with no new arrival, the waiting messages were %s\n",
                announced ? "announced" : "NOT announced (the form learns only at the next arrival)");
    for (int i = 0; i < 5; ++i) {
        auto m = cl.receive(5000);
        ASSERT_TRUE(m) << "message " << i << " lost when the event buffer was full";
        EXPECT_EQ(m->text, "b" + std::to_string(i));
    }
    EXPECT_FALSE(cl.receive(100));
    // The next message is announced again.
    ASSERT_TRUE(serverSend(id, "after").isTrue());
    ASSERT_TRUE(p.takeEvent(&ev, 5s)) << "no event once the buffer had room again";
    EXPECT_EQ(ev.source, "AddIn.WebSocket.Client");
    EXPECT_EQ(ev.data, b_.url("/"));
    auto m = cl.receive(5000);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->text, "after");
}

}  // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
