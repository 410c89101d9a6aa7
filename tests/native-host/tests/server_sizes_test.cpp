// Message sizes both ways, text and binary, at the frame-length boundaries of RFC 6455 (125/126,
// 65535/65536) and around the pieces the engine writes large messages in, up to 16 MiB: every
// message arrives whole, intact and in order. In this process and under Wine alike (a write that
// Wine splits differently from Linux must not change what arrives).
#include "server_support.h"
#include "sha256.h"

using namespace wstest;

namespace {

class ServerSizes : public PeerTest {};

void roundTrip(Server& s, Peer& p, long id, size_t n) {
    const std::string text = generatedText(n);
    const std::vector<uint8_t> bin = generatedBinary(n);
    const std::string what = std::to_string(n) + " bytes";
    // Peer to server: text, then binary.
    ASSERT_TRUE(p.sendGenerated("text", n)) << what;
    ASSERT_TRUE(p.sendGenerated("binary", n)) << what;
    auto m = s.receive(60000);
    ASSERT_TRUE(m) << what << " of text never arrived: " << p.diagnostics();
    EXPECT_EQ(m->id, id);
    EXPECT_FALSE(m->binary) << what;
    EXPECT_EQ(m->text.size(), n) << what;
    EXPECT_TRUE(m->text == text) << what << " of text arrived changed";
    m = s.receive(60000);
    ASSERT_TRUE(m) << what << " of binary never arrived: " << p.diagnostics();
    EXPECT_TRUE(m->binary) << what;
    EXPECT_EQ(m->bytes.size(), n) << what;
    EXPECT_TRUE(m->bytes == bin) << what << " of binary arrived changed";
    // Server to peer: the same two, the peer reports length and SHA-256.
    ASSERT_TRUE(s.sendText(id, text)) << what;
    ASSERT_TRUE(s.sendBinary(id, bin)) << what;
    for (const char* type : {"text", "binary"}) {
        auto e = p.waitFor("message", std::chrono::seconds(60));
        ASSERT_TRUE(e) << what << " of " << type << " from the server never arrived: " << p.diagnostics();
        EXPECT_EQ((*e)["type"], type) << what << ": out of order";
        EXPECT_EQ((*e)["length"], n) << what << " of " << type;
        EXPECT_EQ((*e)["sha256"], std::string(type) == std::string("text") ? sha256Hex(text) : sha256Hex(bin))
            << what << " of " << type;
    }
}

TEST_P(ServerSizes, FrameBoundariesBothWays) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto p = connect(wsUrl(int(s.port())));
    ASSERT_TRUE(p);
    long id = hello(s, *p, "sizes");
    ASSERT_GT(id, 0);
    for (size_t n : {size_t(0), size_t(1), size_t(125), size_t(126), size_t(127), size_t(65535), size_t(65536),
                     size_t(65537), size_t(1) << 20, (size_t(1) << 20) + 1, (size_t(4) << 20) + 1}) {
        step("round trip of " + std::to_string(n) + " bytes");
        roundTrip(s, *p, id, n);
        if (HasFatalFailure()) return;
    }
}

TEST_P(ServerSizes, SixteenMebibytesBothWays) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto p = connect(wsUrl(int(s.port())));
    ASSERT_TRUE(p);
    long id = hello(s, *p, "16 MiB");
    ASSERT_GT(id, 0);
    step("round trip of 16 MiB");
    roundTrip(s, *p, id, size_t(16) << 20);
}

// One peer kind is enough for the sizes: the others' framing is covered by the other tests.
INSTANTIATE_TEST_SUITE_P(Peers, ServerSizes, ::testing::Values(PeerKind::Python), peerName);

}  // namespace
