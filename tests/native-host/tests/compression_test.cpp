// permessage-deflate (RFC 7692), off by default, on with Сжатие: negotiated with Python websockets
// and Node ws (Chromium: tests/browser/echo-page.sh), messages intact both ways, MaxMessageSize
// counting the inflated bytes (a small compressed frame that inflates past the limit gets 1009,
// with memory bounded), and the client object negotiating it with our server.
#include <thread>

#include "base64.h"
#include "client_support.h"

using namespace wstest;

namespace {

class Deflate : public PeerTest {
protected:
    std::unique_ptr<Peer> connectDeflate(int port) {
        PeerOptions o;
        o.deflate = true;
        return connect(wsUrl(port), o);
    }
};

TEST_P(Deflate, OffByDefaultTheOfferIsDeclined) {
    Component& c = make();
    Server s(c);
    EXPECT_FALSE(c.get("Сжатие").boolean()) << "compression must be off by default";
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto p = connectDeflate(int(s.port()));
    ASSERT_TRUE(p);
    auto open = p->history().front();
    EXPECT_EQ(open.value("extensions", "?"), "") << open.dump();
    hello(s, *p, "plain");
}

TEST_P(Deflate, NegotiatedAndEveryMessageIntactBothWays) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(c.set("Сжатие", B(true)));
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto p = connectDeflate(int(s.port()));
    ASSERT_TRUE(p);
    auto open = p->history().front();
    EXPECT_NE(open.value("extensions", "").find("permessage-deflate"), std::string::npos) << open.dump();

    // JSON as 1C sends it, Cyrillic, and binary.
    std::string jsonText = "[";
    for (int i = 0; i < 300; ++i) jsonText += std::string(i ? "," : "") + "{\"номер\":" + std::to_string(i) + ",\"товар\":\"Молоко 3,2%\"}";
    jsonText += "]";
    long id = hello(s, *p, jsonText);
    ASSERT_GT(id, 0);
    std::vector<uint8_t> bytes = generatedBinary(60000);
    ASSERT_TRUE(p->sendBinary(bytes));
    auto m = s.receive(10000);
    ASSERT_TRUE(m && m->binary);
    EXPECT_EQ(m->bytes, bytes);
    ASSERT_TRUE(s.sendText(id, jsonText));
    auto e = p->waitFor("message", 10s);
    ASSERT_TRUE(e) << p->diagnostics();
    EXPECT_EQ((*e)["data"], jsonText);
    ASSERT_TRUE(s.sendBinary(id, bytes));
    e = p->waitFor("message", 10s);
    ASSERT_TRUE(e) << p->diagnostics();
    EXPECT_EQ((*e)["length"], 60000);
    EXPECT_EQ(base64Decode((*e)["data"].get<std::string>()), bytes);
}

// 64 MiB of one letter compresses to about 64 KiB: the limit counts what it inflates to.
TEST_P(Deflate, AFrameThatInflatesPastTheLimitGets1009AndMemoryStaysBounded) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(c.set("Сжатие", B(true)));
    ASSERT_TRUE(c.set("МаксимальныйРазмерСообщения", I(1024 * 1024)));
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto p = connectDeflate(int(s.port()));
    ASSERT_TRUE(p);
    const long long before = residentBytes();
    ASSERT_TRUE(p->command({{"op", "send_generated"}, {"type", "binary"}, {"size", 64 * 1024 * 1024}}, 60000ms));
    auto closed = p->waitFor("close", 30s);
    ASSERT_TRUE(closed) << p->diagnostics();
    EXPECT_EQ((*closed)["code"], 1009) << closed->dump();
    const long long after = residentBytes();
    std::printf("[ info ] RSS before %lld MiB, after the inflation bomb %lld MiB\n", before >> 20, after >> 20);
    EXPECT_LT(after - before, 32ll * 1024 * 1024) << "memory grew by what the frame inflated to";
}

INSTANTIATE_TEST_SUITE_P(Peers, Deflate, ::testing::Values(PeerKind::Python, PeerKind::Node), peerName);

class DeflateSettings : public AddinTest {};

TEST_F(DeflateSettings, WindowBitsRangeAndTheClientWithOurServer) {
    Component& srv = make();
    Server s(srv);
    EXPECT_FALSE(srv.set("СжатиеОкноБит", I(8)));
    EXPECT_EQ(srv.errorDescription(), "CompressionWindowBits: the value must be from 9 to 15, got 8");
    ASSERT_TRUE(srv.set("СжатиеОкноБит", I(10)));
    ASSERT_TRUE(srv.set("СжатиеСКонтекстом", B(false)));
    ASSERT_TRUE(srv.set("Сжатие", B(true)));
    ASSERT_TRUE(srv.set("СобытияСоединений", B(true)));
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());

    Component::Options o;
    o.className = "Client";
    Component& cli = make(o);
    Client cl(cli);
    ASSERT_TRUE(cli.set("Сжатие", B(true)));
    ASSERT_TRUE(cl.connect(wsUrl(int(s.port()))).isTrue());
    auto connected = receiveEvent(srv, 5000);
    ASSERT_TRUE(connected && connected->event == "connected");
    auto info = json::parse(connected->msg.text, nullptr, false);
    const std::string offered = info["headers"].value("Sec-WebSocket-Extensions", "");
    EXPECT_NE(offered.find("permessage-deflate"), std::string::npos) << "the client must offer it: " << info.dump();
    const std::string text = std::string(100000, 'z') + " конец";
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(cl.sendText(text));
        auto m = s.receive(5000);
        ASSERT_TRUE(m);
        EXPECT_EQ(m->text, text);
        ASSERT_TRUE(s.sendText(m->id, text));
        auto back = cl.receive(5000);
        ASSERT_TRUE(back);
        EXPECT_EQ(back->text, text);
    }
}

}  // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
