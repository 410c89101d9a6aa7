// AddIn.WebSocket.Client against hostile and broken servers (tests/peers/hostile/server.py):
// redirects are reported, not followed (the custom headers never reach another host); an
// extension the client did not offer fails the connection; a frame declared over MaxMessageSize is
// refused with 1009 when its header arrives, with memory bounded; an expired certificate is named
// as expired; a send refused because the server does not read says so, and Status agrees.
#include <thread>

#include "client_support.h"

using namespace wstest;

namespace {

/// The hostile server, in a process of its own; TLS when given a certificate.
class HostileServer {
public:
    explicit HostileServer(const std::string& cert = "", const std::string& key = "") {
        std::vector<std::string> argv{"/usr/bin/python3", Library::repoDir() + "/tests/peers/hostile/server.py"};
        if (!cert.empty()) argv.insert(argv.end(), {"--cert", cert, "--key", key});
        proc_ = std::make_unique<Peer>(argv, "hostile-server");
        auto first = proc_->next(10s);
        if (first && first->contains("port")) port_ = (*first)["port"].get<int>();
        tls_ = !cert.empty();
    }
    bool ok() const { return port_ > 0; }
    std::string url(const std::string& pathAndQuery) const {
        return std::string(tls_ ? "wss" : "ws") + "://127.0.0.1:" + std::to_string(port_) + pathAndQuery;
    }
    /// The next event with `key` (others are skipped); nullopt on timeout.
    std::optional<json> waitFor(const std::string& key, std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            auto e = proc_->next(left);
            if (!e) return std::nullopt;
            if (e->contains(key)) return e;
        }
    }
    std::string diagnostics() const { return proc_->diagnostics(); }

private:
    std::unique_ptr<Peer> proc_;
    int port_ = 0;
    bool tls_ = false;
};

class HostileServers : public AddinTest {
protected:
    Component& makeClient() {
        Component::Options o;
        o.className = "Client";
        return make(o);
    }
};

TEST_F(HostileServers, ARedirectIsReportedNotFollowed) {
    HostileServer target, redirecting;
    ASSERT_TRUE(target.ok() && redirecting.ok());
    Component& c = makeClient();
    Client cl(c);
    const std::string elsewhere = target.url("/record");
    auto r = cl.connect(redirecting.url("/redirect?to=" + elsewhere), R"({"X-Api-Key": "secret-key"})", 5000);
    EXPECT_FALSE(r.ok) << r.describe();
    EXPECT_TRUE(r.hasError("HTTP 301 → " + elsewhere)) << r.describe();
    EXPECT_NE(cl.status(), 1);
    auto seen = redirecting.waitFor("request", 5s);
    ASSERT_TRUE(seen) << redirecting.diagnostics();
    EXPECT_EQ((*seen)["headers"].value("x-api-key", ""), "secret-key") << "the first server gets the header";
    EXPECT_FALSE(target.waitFor("request", 1500ms)) << "the client followed the redirect (and took its headers along)";
}

TEST_F(HostileServers, AnExtensionThatWasNeverOfferedFailsTheConnection) {
    HostileServer server;
    ASSERT_TRUE(server.ok());
    Component& c = makeClient();
    Client cl(c);
    for (const std::string extension : {"permessage-deflate", "x-webkit-unknown; level=3"}) {
        auto r = cl.connect(server.url("/ext?value=" + extension), "", 5000);
        EXPECT_FALSE(r.ok) << extension << ": " << r.describe();
        EXPECT_TRUE(r.hasError("The server enabled an extension the client did not offer (" + extension + ")"))
            << r.describe();
        EXPECT_NE(cl.status(), 1) << extension;
    }
}

// The header alone says the frame is too big: 1009 at once, not after 2^63 bytes (or never).
TEST_F(HostileServers, AFrameDeclaredOverTheLimitIsRefusedAtItsHeader) {
    HostileServer server;
    ASSERT_TRUE(server.ok());
    Component& c = makeClient();
    Client cl(c);
    for (const std::string length : {"9223372036854775807", "67108865"}) {
        SCOPED_TRACE(length);
        auto r = cl.connect(server.url("/declare?length=" + length), "", 5000);
        ASSERT_TRUE(r.isTrue()) << r.describe();
        auto t0 = std::chrono::steady_clock::now();
        EXPECT_FALSE(cl.receive(15000)) << "nothing may be delivered of a refused frame";
        EXPECT_LT(msSince(t0), 3000) << "the refusal waited for the frame's bytes";
        EXPECT_EQ(cl.status(), -1);
        EXPECT_EQ(cl.closeCode(), 1009);
        auto closed = server.waitFor("close", 5s);
        ASSERT_TRUE(closed) << server.diagnostics();
        EXPECT_EQ((*closed)["close"], 1009) << "the server must get the client's 1009";
    }
}

// Eight 200 MiB frames, one after another on one object: each refused with 1009, and the process
// does not grow by what they claimed (it did: 530 MiB and more).
TEST_F(HostileServers, EightHugeFramesLeaveMemoryWhereItWas) {
    HostileServer server;
    ASSERT_TRUE(server.ok());
    Component& c = makeClient();
    Client cl(c);
    const long long before = residentBytes();
    long long peak = before;
    for (int i = 0; i < 8; ++i) {
        auto r = cl.connect(server.url("/declare?length=" + std::to_string(200ll * 1024 * 1024)), "", 5000);
        ASSERT_TRUE(r.isTrue()) << r.describe();
        EXPECT_FALSE(cl.receive(15000));
        EXPECT_EQ(cl.closeCode(), 1009) << "frame " << i;
        peak = std::max(peak, residentBytes());
    }
    std::printf("[ info ] RSS before %lld MiB, peak %lld MiB over eight refused 200 MiB frames\n", before >> 20, peak >> 20);
    EXPECT_LT(peak - before, 64ll * 1024 * 1024) << "memory grew by what the frames claimed";
}

// The client's own limit, as the server's: a smaller MaxMessageSize refuses a smaller frame.
TEST_F(HostileServers, MaxMessageSizeIsTheClientsOwnLimit) {
    HostileServer server;
    ASSERT_TRUE(server.ok());
    Component& c = makeClient();
    Client cl(c);
    EXPECT_EQ(c.get("МаксимальныйРазмерСообщения").integer(), 64 * 1024 * 1024) << "the default";
    ASSERT_TRUE(c.set("МаксимальныйРазмерСообщения", I(1000)));
    auto r = cl.connect(server.url("/declare?length=1001"), "", 5000);
    ASSERT_TRUE(r.isTrue()) << r.describe();
    EXPECT_FALSE(cl.receive(5000));
    EXPECT_EQ(cl.closeCode(), 1009);
    EXPECT_FALSE(c.set("МаксимальныйРазмерСообщения", I(0))) << "0 is out of range";
    EXPECT_EQ(c.errorDescription(), "MaxMessageSize: the value must be from 1 to 1073741824, got 0");
}

// A server that stops reading: the send queue fills, Send returns False naming the cause, and
// Status and CloseCode say the same at that moment.
TEST_F(HostileServers, ASendRefusedBecauseTheServerDoesNotReadNamesTheCause) {
    HostileServer server;
    ASSERT_TRUE(server.ok());
    Component& c = makeClient();
    Client cl(c);
    const std::string url = server.url("/silent");
    ASSERT_TRUE(cl.connect(url, "", 5000).isTrue());
    const std::string megabyte(1024 * 1024, 'q');
    int sent = 0;
    CallResult last;
    while (sent < 200) {
        last = cl.send(S(megabyte));
        if (!last.isTrue()) break;
        ++sent;
    }
    ASSERT_LT(sent, 200) << "the client queued 200 MiB for a server that reads nothing";
    EXPECT_TRUE(last.ok && last.errors.empty()) << "a refused Send returns False, it does not raise: " << last.describe();
    EXPECT_EQ(cl.errorDescription(),
              "The server " + url + " is not reading: the send queue overflowed and the connection is closed with code 1008");
    EXPECT_EQ(cl.status(), -1) << "Status must agree with the refusal";
    EXPECT_EQ(cl.closeCode(), 1008) << "CloseCode must agree with the refusal";
}

// An expired certificate under a trusted CA: the error says it expired, not that it is untrusted.
TEST_F(HostileServers, AnExpiredCertificateIsNamedAsExpired) {
    const auto& certs = clientCerts();
    ASSERT_TRUE(certs.ok) << certs.log;
    TempDir dir("ws-expired");
    writeFile(dir.file("index.txt"), "");
    writeFile(dir.file("serial"), "1000\n");
    writeFile(dir.file("ca.cnf"), "[ca]\ndefault_ca = d\n[d]\ndatabase = " + dir.file("index.txt") +
                                      "\nnew_certs_dir = " + dir.path() + "\nserial = " + dir.file("serial") +
                                      "\ndefault_md = sha256\npolicy = p\nunique_subject = no\n[p]\ncommonName = supplied\n"
                                      "[leaf]\nsubjectAltName = IP:127.0.0.1\nbasicConstraints = CA:FALSE\n");
    std::string out;
    ASSERT_EQ(runCommand({"openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.file("expired.key"),
                          "-subj", "/CN=127.0.0.1", "-out", dir.file("expired.csr")}, &out), 0) << out;
    ASSERT_EQ(runCommand({"openssl", "ca", "-batch", "-config", dir.file("ca.cnf"), "-cert", certs.base.caCert, "-keyfile",
                          certs.base.caKey, "-in", dir.file("expired.csr"), "-out", dir.file("expired.pem"), "-startdate",
                          "20200101000000Z", "-enddate", "20210101000000Z", "-notext", "-extensions", "leaf",
                          "-extfile", dir.file("ca.cnf")}, &out), 0) << out;
    HostileServer server(dir.file("expired.pem"), dir.file("expired.key"));
    ASSERT_TRUE(server.ok());
    Component& c = makeClient();
    Client cl(c);
    ASSERT_TRUE(cl.setTrustedCertificate(certs.base.caCert));
    auto r = cl.connect(server.url("/record"), "", 5000);
    EXPECT_FALSE(r.ok) << r.describe();
    EXPECT_TRUE(r.hasError("The certificate of 127.0.0.1 has expired or is not yet valid (2021-01-01")) << r.describe();
    EXPECT_FALSE(r.hasError("not trusted")) << r.describe();
}

}  // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
