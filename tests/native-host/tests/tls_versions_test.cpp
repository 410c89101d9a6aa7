// TLS 1.2 and 1.3 only, on both sides, because the add-in says so, not because this machine's
// OpenSSL configuration does: the whole process runs with an OpenSSL configuration that allows
// TLS 1.0 and 1.1 (as older configurations on 1C servers and Windows Server 2016's schannel do).
// Python's ssl module is the other side, with the same permissive configuration.
//
// OPENSSL_CONF must be set before OpenSSL is first loaded in the process: main() does it, which is
// why these tests have a binary of their own.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "client_support.h"

using namespace wstest;

namespace {

std::string& permissiveConf() {
    static std::string* path = new std::string;
    return *path;
}

const char* kPermissive =
    "openssl_conf = conf\n[conf]\nssl_conf = ssl\n[ssl]\nsystem_default = tls\n"
    "[tls]\nMinProtocol = TLSv1\nCipherString = DEFAULT:@SECLEVEL=0\n";

/// A TLS handshake of the given version from Python against host:port; "ok TLSv1.x" or "refused ...".
std::string handshake(int port, const std::string& version) {
    std::string out;
    runCommand({"/usr/bin/python3", "-W", "ignore", "-c",
                "import socket, ssl, sys\n"
                "v = getattr(ssl.TLSVersion, sys.argv[2])\n"
                "c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE\n"
                "c.set_ciphers('DEFAULT:@SECLEVEL=0'); c.minimum_version = v; c.maximum_version = v\n"
                "try:\n"
                "    s = c.wrap_socket(socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10))\n"
                "    print('ok', s.version())\n"
                "except Exception as e:\n"
                "    print('refused', type(e).__name__, e)\n",
                std::to_string(port), version},
               &out, 30000ms);
    return out;
}

class TlsVersions : public AddinTest {};

TEST_F(TlsVersions, TheServerRefusesTls10And11) {
    const auto& certs = clientCerts();
    ASSERT_TRUE(certs.ok) << certs.log;
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0, certs.base.serverCert, certs.base.serverKey, "").isTrue());
    const int port = int(s.port());
    // The control: this configuration lets Python itself speak TLS 1.0 (else the test proves nothing).
    EXPECT_EQ(handshake(port, "TLSv1_2").rfind("ok TLSv1.2", 0), 0u) << handshake(port, "TLSv1_2");
    EXPECT_EQ(handshake(port, "TLSv1_3").rfind("ok TLSv1.3", 0), 0u);
    for (const char* old : {"TLSv1", "TLSv1_1"}) {
        auto answer = handshake(port, old);
        EXPECT_EQ(answer.rfind("refused", 0), 0u) << old << " was accepted: " << answer;
    }
}

TEST_F(TlsVersions, TheClientRefusesAServerThatOnlySpeaksTls11) {
    const auto& certs = clientCerts();
    ASSERT_TRUE(certs.ok) << certs.log;
    // A TLS 1.1-only server (Python's ssl, the permissive configuration), answering a WebSocket upgrade.
    Peer server({"/usr/bin/python3", "-W", "ignore", "-c",
                 "import socket, ssl, sys, base64, hashlib\n"
                 "c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(sys.argv[1], sys.argv[2])\n"
                 "c.set_ciphers('DEFAULT:@SECLEVEL=0'); c.minimum_version = c.maximum_version = getattr(ssl.TLSVersion, sys.argv[3])\n"
                 "l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(4)\n"
                 "print('{\"port\": %d}' % l.getsockname()[1], flush=True)\n"
                 "while True:\n"
                 "    conn, _ = l.accept()\n"
                 "    try:\n"
                 "        s = c.wrap_socket(conn, server_side=True)\n"
                 "        req = s.recv(4096).decode()\n"
                 "        key = [h.split(':', 1)[1].strip() for h in req.split('\\r\\n') if h.lower().startswith('sec-websocket-key')][0]\n"
                 "        acc = base64.b64encode(hashlib.sha1((key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').encode()).digest()).decode()\n"
                 "        s.sendall(('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: ' + acc + '\\r\\n\\r\\n').encode())\n"
                 "    except Exception as e:\n"
                 "        print('{\"handshake\": \"%s\"}' % type(e).__name__, flush=True)\n",
                 certs.base.serverCert, certs.base.serverKey, "TLSv1_1"},
                "tls11-server");
    auto first = server.next(10s);
    ASSERT_TRUE(first && first->contains("port")) << server.diagnostics();
    const int port = (*first)["port"];
    // The control: a TLS 1.1 client does get through to it.
    EXPECT_EQ(handshake(port, "TLSv1_1").rfind("ok TLSv1.1", 0), 0u) << handshake(port, "TLSv1_1");
    Component::Options o;
    o.className = "Client";
    Component& c = make(o);
    Client cl(c);
    ASSERT_TRUE(cl.setTrustedCertificate(certs.base.caCert));
    auto r = cl.connect("wss://127.0.0.1:" + std::to_string(port) + "/", "", 10000);
    EXPECT_FALSE(r.ok) << "the client spoke TLS 1.1: " << r.describe();
    EXPECT_TRUE(r.hasError("TLS")) << r.describe();
}

}  // namespace

int main(int argc, char** argv) {
    // Before anything loads OpenSSL: a configuration that would allow TLS 1.0 and 1.1.
    char dir[] = "/tmp/ws-openssl-XXXXXX";
    if (::mkdtemp(dir)) {
        permissiveConf() = std::string(dir) + "/openssl.cnf";
        writeFile(permissiveConf(), kPermissive);
        ::setenv("OPENSSL_CONF", permissiveConf().c_str(), 1);
    }
    ::testing::InitGoogleTest(&argc, argv);
    int rc = RUN_ALL_TESTS();
    if (!permissiveConf().empty()) {
        std::remove(permissiveConf().c_str());
        ::rmdir(dir);
    }
    return rc;
}
