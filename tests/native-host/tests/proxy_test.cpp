// The add-in behind a reverse proxy, as in production: Debian's nginx, started by the test with
// samples/nginx/websocket.conf (its own prefix in a temp directory, loopback ports, no root
// needed), in front of the server run by the host. Real clients talk through it over ws and over
// wss terminated at nginx; the server sees the client's address from X-Forwarded-For only
// because nginx is a trusted proxy; a direct client cannot spoof its address; chains and RFC 7239's
// Forwarded header are resolved as docs/production.*.md says; pings keep an idle connection
// alive through nginx's read timeout.
//
// nginx reaches the add-in from 127.0.0.3 (proxy_bind), the clients connect from 127.0.0.1: so
// the proxy's address and the client's differ although everything runs on this machine.
#include <sys/stat.h>

#include <regex>
#include <thread>

#include "base64.h"
#include "client_support.h"

using namespace wstest;

namespace {

const char* kProxyAddress = "127.0.0.3";

/// Replaces `what` (which must be there) in `text`; a changed sample fails the test here.
bool replaceIn(std::string& text, const std::string& what, const std::string& with) {
    auto at = text.find(what);
    if (at == std::string::npos) {
        ADD_FAILURE() << "samples/nginx/websocket.conf no longer contains: " << what;
        return false;
    }
    text.replace(at, what.size(), with);
    return true;
}

/// nginx with the sample configuration, in front of 127.0.0.1:upstreamPort.
class Nginx {
public:
    Nginx(int upstreamPort, const TestCerts& certs, const std::string& readTimeout = "75s") : dir_("ws-nginx") {
        ::chmod(dir_.path().c_str(), 0755);  // as root nginx's workers run as nobody
        std::string site = readFile(Library::repoDir() + "/samples/nginx/websocket.conf");
        plain_ = freePort();
        tls_ = freePort();
        bool ok = replaceIn(site, "server 127.0.0.1:8080;", "server 127.0.0.1:" + std::to_string(upstreamPort) + ";") &&
                  replaceIn(site, "listen 80;", "listen 127.0.0.1:" + std::to_string(plain_) + ";") &&
                  replaceIn(site, "listen 443 ssl;", "listen 127.0.0.1:" + std::to_string(tls_) + " ssl;") &&
                  replaceIn(site, "/etc/nginx/tls/ws.example.ru.pem", certs.chain) &&
                  replaceIn(site, "/etc/nginx/tls/ws.example.ru.key", certs.serverKey) &&
                  replaceIn(site, "proxy_read_timeout 75s;", "proxy_read_timeout " + readTimeout + ";");
        if (!ok) return;
        writeFile(dir_.file("site.conf"), site);
        const std::string d = dir_.path();
        for (const char* sub : {"/body", "/proxy", "/fastcgi", "/uwsgi", "/scgi"}) {
            ::mkdir((d + sub).c_str(), 0777);
            ::chmod((d + sub).c_str(), 0777);
        }
        // Only what running nginx unprivileged in a temp directory needs, around the sample.
        writeFile(dir_.file("nginx.conf"),
                  "daemon off;\nworker_processes 1;\npid " + d + "/nginx.pid;\nerror_log " + d + "/error.log info;\n"
                  "events { worker_connections 256; }\n"
                  "http {\n  access_log " + d + "/access.log;\n"
                  "  client_body_temp_path " + d + "/body;\n  proxy_temp_path " + d + "/proxy;\n"
                  "  fastcgi_temp_path " + d + "/fastcgi;\n  uwsgi_temp_path " + d + "/uwsgi;\n  scgi_temp_path " + d + "/scgi;\n"
                  "  proxy_bind " + std::string(kProxyAddress) + ";  # the test's: the proxy's address differs from the clients'\n"
                  "  include " + d + "/site.conf;\n}\n");
        proc_ = std::make_unique<Peer>(std::vector<std::string>{"/usr/sbin/nginx", "-p", d, "-c", d + "/nginx.conf", "-e", d + "/error.log"}, "nginx");
        // Ready once both ports accept.
        ready_ = waitUntil([&] { return !canBind("127.0.0.1", plain_) && !canBind("127.0.0.1", tls_); }, 10s);
    }
    bool ok() const { return ready_; }
    std::string url(bool tls, const std::string& path = "/ws/") const {
        return std::string(tls ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(tls ? tls_ : plain_) + path;
    }
    std::string log() const { return readFile(dir_.file("error.log")); }

private:
    TempDir dir_;
    int plain_ = 0, tls_ = 0;
    bool ready_ = false;
    std::unique_ptr<Peer> proc_;
};

json connectionInfo(Component& c, long id) {
    auto r = c.call("ИнформацияОСоединении", {I(int32_t(id))});
    return json::parse(r.ret.str(), nullptr, false);
}

class BehindNginx : public PeerTest {
protected:
    void SetUp() override {
        PeerTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        certs_ = &clientCerts();
        ASSERT_TRUE(certs_->ok) << certs_->log;
    }
    const ClientCerts* certs_ = nullptr;
};

// Text and binary, both ways, over ws and over wss ended at nginx; the server sees the client.
TEST_P(BehindNginx, MessagesBothWaysAndTheRealAddress) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(c.set("ДоверенныеПрокси", S(kProxyAddress)));
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    Nginx nginx(int(s.port()), certs_->base);
    ASSERT_TRUE(nginx.ok()) << nginx.log();
    for (bool tls : {false, true}) {
        SCOPED_TRACE(tls ? "wss at nginx" : "ws");
        PeerOptions o;
        if (tls) o.ca = certs_->base.caCert;
        auto p = connect(nginx.url(tls), o);
        ASSERT_TRUE(p) << nginx.log();
        const std::string text = "Привет через nginx 🌍";
        long id = hello(s, *p, text);
        ASSERT_GT(id, 0);
        std::vector<uint8_t> bytes;
        for (int i = 0; i < 300; ++i) bytes.push_back(uint8_t(i * 7));
        ASSERT_TRUE(p->sendBinary(bytes));
        auto m = s.receive(10000);
        ASSERT_TRUE(m && m->binary) << p->diagnostics();
        EXPECT_EQ(m->bytes, bytes);
        ASSERT_TRUE(s.sendText(id, text + " ← сервер"));
        auto e = p->waitFor("message", 10s);
        ASSERT_TRUE(e) << p->diagnostics();
        EXPECT_EQ((*e)["data"], text + " ← сервер");
        ASSERT_TRUE(s.sendBinary(id, bytes));
        e = p->waitFor("message", 10s);
        ASSERT_TRUE(e) << p->diagnostics();
        EXPECT_EQ((*e)["type"], "binary");
        EXPECT_EQ(base64Decode((*e)["data"].get<std::string>()), bytes);

        auto info = connectionInfo(c, id);
        ASSERT_TRUE(info.is_object());
        EXPECT_EQ(info["address"].get<std::string>().rfind("127.0.0.1:", 0), 0u) << info.dump();
        EXPECT_EQ(info["proxy"].get<std::string>().rfind(std::string(kProxyAddress) + ":", 0), 0u) << info.dump();
        EXPECT_EQ(info["scheme"], tls ? "wss" : "ws") << "X-Forwarded-Proto from nginx: " << info.dump();
        EXPECT_EQ(info["path"], "/ws/");
        EXPECT_NE(s.connections().find(std::to_string(id) + ":127.0.0.1:"), std::string::npos) << s.connections();
        ASSERT_TRUE(p->close(1000, "bye"));
        ASSERT_TRUE(p->waitClosed(10s));
    }
}

// Without the proxy in ДоверенныеПрокси its headers are not believed: the address is nginx's.
TEST_P(BehindNginx, AnUntrustedProxyIsNotBelieved) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    Nginx nginx(int(s.port()), certs_->base);
    ASSERT_TRUE(nginx.ok()) << nginx.log();
    auto p = connect(nginx.url(false));
    ASSERT_TRUE(p);
    long id = hello(s, *p, "who am I");
    auto info = connectionInfo(c, id);
    EXPECT_EQ(info["address"].get<std::string>().rfind(std::string(kProxyAddress) + ":", 0), 0u) << info.dump();
    EXPECT_EQ(info["proxy"], "") << info.dump();
}

// An idle connection longer than nginx's proxy_read_timeout survives because the server's pings
// go through it; with pings off, nginx cuts the same connection (so the test can tell).
TEST_P(BehindNginx, PingsKeepAnIdleConnectionThroughTheProxysTimeout) {
    for (bool pings : {true, false}) {
        SCOPED_TRACE(pings ? "pings every second" : "pings off");
        Component& c = make();
        Server s(c);
        ASSERT_TRUE(c.set("ИнтервалПинга", I(pings ? 1000 : 0)));
        ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
        Nginx nginx(int(s.port()), certs_->base, "3s");
        ASSERT_TRUE(nginx.ok()) << nginx.log();
        auto p = connect(nginx.url(false));
        ASSERT_TRUE(p);
        long id = hello(s, *p, "before the pause");
        ASSERT_GT(id, 0);
        auto closed = p->waitFor("close", 6s);  // twice nginx's timeout, no message either way
        if (pings) {
            EXPECT_FALSE(closed) << "nginx cut an idle connection although the server pinged: " << closed->dump();
            ASSERT_TRUE(s.sendText(id, "after the pause"));
            auto e = p->waitFor("message", 5s);
            ASSERT_TRUE(e) << p->diagnostics();
            EXPECT_EQ((*e)["data"], "after the pause");
        } else {
            EXPECT_TRUE(closed) << "without pings nginx should have cut the connection after 3 s: the test proves nothing";
        }
        destroyAll();
    }
}

INSTANTIATE_TEST_SUITE_P(Peers, BehindNginx, ::testing::Values(PeerKind::Python, PeerKind::Node), peerName);

// ---- the forwarded headers themselves, from raw clients ------------------------------------------------
class ForwardedHeaders : public AddinTest {
protected:
    /// Connects from `source` with `headers`, and returns ConnectionInfo of the new connection.
    json connectFrom(Component& c, Server& s, const std::string& source, const std::string& headers) {
        RawClient r("127.0.0.1", int(s.port()), source);
        if (!r.ok() || !r.handshake("/", headers)) {
            ADD_FAILURE() << "no connection from " << source;
            return {};
        }
        r.sendAll(wsFrame(1, "hi"));
        auto m = s.receive(5000);
        if (!m) {
            ADD_FAILURE() << "no message from " << source;
            return {};
        }
        return connectionInfo(c, m->id);
    }
};

TEST_F(ForwardedHeaders, ADirectClientCannotSpoofItsAddress) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(c.set("ДоверенныеПрокси", S("127.0.0.3")));
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto info = connectFrom(c, s, "127.0.0.1", "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\nForwarded: for=7.7.7.7\r\n");
    EXPECT_EQ(info["address"].get<std::string>().rfind("127.0.0.1:", 0), 0u) << info.dump();
    EXPECT_EQ(info["proxy"], "") << info.dump();
    EXPECT_EQ(info["scheme"], "ws") << info.dump();
}

// X-Forwarded-For is read from the right, one hop per trusted proxy: the first untrusted address
// is the client.
TEST_F(ForwardedHeaders, AChainIsResolvedThroughTrustedHopsOnly) {
    {
        Component& c = make();
        Server s(c);
        ASSERT_TRUE(c.set("ДоверенныеПрокси", S("127.0.0.3")));
        ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
        auto info = connectFrom(c, s, "127.0.0.3", "X-Forwarded-For: 203.0.113.9, 10.1.1.1\r\n");
        EXPECT_EQ(info["address"], "10.1.1.1:0") << "10.1.1.1 is not trusted: it is the client: " << info.dump();
    }
    destroyAll();
    {
        Component& c = make();
        Server s(c);
        ASSERT_TRUE(c.set("ДоверенныеПрокси", S("127.0.0.3, 10.1.1.0/24")));
        ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
        auto info = connectFrom(c, s, "127.0.0.3", "X-Forwarded-For: 203.0.113.9, 10.1.1.1\r\n");
        EXPECT_EQ(info["address"], "203.0.113.9:0") << info.dump();
        EXPECT_EQ(info["proxy"].get<std::string>().rfind("127.0.0.3:", 0), 0u) << info.dump();
    }
}

TEST_F(ForwardedHeaders, Rfc7239ForwardedIsUnderstood) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(c.set("ДоверенныеПрокси", S("127.0.0.3")));
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto info = connectFrom(c, s, "127.0.0.3", "Forwarded: for=\"[2001:db8::17]:4711\";proto=https\r\n");
    EXPECT_EQ(info["address"], "[2001:db8::17]:4711") << info.dump();
    EXPECT_EQ(info["scheme"], "wss") << info.dump();
}

TEST_F(ForwardedHeaders, ABadTrustedProxyIsAClearError) {
    Component& c = make();
    EXPECT_FALSE(c.set("ДоверенныеПрокси", S("127.0.0.3, proxy.local")));
    EXPECT_EQ(c.errorDescription(),
              "TrustedProxies: 'proxy.local' is neither an IP address nor a network; expected e.g. \"127.0.0.1, 10.0.0.0/8, ::1\"");
}

}  // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
