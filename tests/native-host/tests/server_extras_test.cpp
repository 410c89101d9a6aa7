// The server's features beyond the original product (docs/api.*.md), and robustness against
// clients no WebSocket library would produce.
#include <set>
#include <thread>

#include "base64.h"
#include "server_support.h"

using namespace wstest;

namespace {

/// Receive with the event parameter: (id, event, close code of a disconnected event) or nothing.
struct EventOf {
    long first;
    std::string second;
    int third;
};
std::optional<EventOf> receiveEventOf(Component& c, int timeoutMs) {
    std::vector<Variant> a{I(timeoutMs), I(0), S(""), S("")};
    auto r = c.call("Принять", a);
    if (!r.isTrue()) return std::nullopt;
    int code = 0;
    if (a[3].str() == "disconnected") {
        auto j = json::parse(a[2].str(), nullptr, false);
        code = j.is_object() ? j.value("code", -1) : -2;
    }
    return EventOf{long(a[1].integer()), a[3].str(), code};
}

class ServerRobust : public AddinTest {};

// contract.md: "a client that does not read is disconnected (close code 1008) rather than letting
// memory grow without limit".
TEST_F(ServerRobust, AClientThatStopsReadingIsDisconnectedWith1008) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(c.set("РазмерОчередиОтправки", I(1024 * 1024)));
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    RawClient r("127.0.0.1", int(s.port()), /*rcvbuf=*/4096);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r.handshake());
    for (int i = 0; i < 100 && s.connections().empty(); ++i) std::this_thread::sleep_for(20ms);
    ASSERT_EQ(s.connections().rfind("1:", 0), 0u) << s.connections();

    // 64 KB at a time to a client that reads nothing: the socket buffers and the 1 MiB queue fill,
    // then Send must refuse (False) instead of queueing without limit.
    const std::string chunk(64 * 1024, 'x');
    int accepted = 0;
    bool refused = false;
    while (accepted < 2000 && !refused) {
        if (s.sendText(1, chunk)) {
            ++accepted;
        } else {
            refused = true;
        }
    }
    ASSERT_TRUE(refused) << "Send accepted " << accepted << " × 64 KB for a client that reads nothing";
    EXPECT_LT(accepted, 200) << "far more than the 1 MiB queue plus socket buffers was accepted";
    EXPECT_NE(c.errorDescription(), "");

    // Now the client reads: what was in flight, then the close frame with 1008.
    std::string got;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!r.closed() && std::chrono::steady_clock::now() < deadline) got += r.recvSome(100ms);
    EXPECT_TRUE(r.closed()) << "the connection of a client that stopped reading must end";
    EXPECT_EQ(closeCodeIn(got), 1008) << got.size() << " bytes read";
    for (int i = 0; i < 100 && !s.connections().empty(); ++i) std::this_thread::sleep_for(20ms);
    EXPECT_EQ(s.connections(), "");
}

TEST_F(ServerRobust, NothingARawClientSendsHurtsTheServer) {
    Component& c = make();
    Server s(c);
    // A peer that never answers pings is dropped within PingInterval + PingTimeout: that is what
    // ends a connection whose frame System.Net.WebSockets keeps waiting on (an unmasked frame, a
    // 2^62-byte length), so keep both short here.
    ASSERT_TRUE(c.set("ИнтервалПинга", I(500)));
    ASSERT_TRUE(c.set("ТаймаутПинга", I(500)));
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    const int port = int(s.port());
    struct Case {
        std::string name;
        bool handshake;
        std::string bytes;
        // The close code the server answers with; 0: the connection must end, with or without a
        // close frame. System.Net.WebSockets (which we use rather than a frame codec of our own)
        // sends its close frame for these too, but it leaves the rest of the bad frame unread, so
        // the kernel answers with a reset that may overtake the frame: only the end is asserted.
        int expectClose;
    };
    std::string random(65536, '\0');
    uint32_t x = 12345;
    for (auto& ch : random) { x = x * 1103515245 + 12345; ch = char(x >> 16); }
    std::vector<Case> cases = {
        {"garbage instead of HTTP", false, "garbage\r\n\r\n", 0},
        {"HTTP without Upgrade", false, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0},
        {"a 100 KB header", false, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(100000, 'a') + "\r\n\r\n", 0},
        {"64 KB of random bytes", false, random, 0},
        {"an unmasked frame", true, wsFrame(1, "hi", true, false), 0},
        {"invalid UTF-8 in a text frame", true, wsFrame(1, "\xff\xfe\xfd"), 0},
        {"a reserved opcode", true, wsFrame(3, "x"), 0},
        {"a 200-byte ping", true, wsFrame(9, std::string(200, 'p')), 0},
        {"a continuation without a start", true, wsFrame(0, "orphan"), 0},
        {"a close with code 999", true, wsFrame(8, std::string("\x03\xe7", 2)), 1002},
        {"a 2^62-byte length", true, std::string("\x82\xff\x40\x00\x00\x00\x00\x00\x00\x00\x12\x34\x56\x78", 14), 0},
        {"half a frame, then the socket closes", true, std::string("\x81\x85\x12\x34", 4), -1},
        {"random bytes after the handshake", true, random.substr(0, 4096), 0},
    };
    for (auto& cs : cases) {
        step("raw client: " + cs.name);
        RawClient r("127.0.0.1", port);
        ASSERT_TRUE(r.ok()) << cs.name;
        if (cs.handshake) {
            ASSERT_TRUE(r.handshake()) << cs.name;
        }
        r.sendAll(cs.bytes);
        if (cs.expectClose < 0) {  // we hang up; the server must cope
            r.close();
            continue;
        }
        std::string got;
        auto deadline = std::chrono::steady_clock::now() + 3s;
        while (!r.closed() && std::chrono::steady_clock::now() < deadline) got += r.recvSome(200ms);
        if (cs.expectClose > 0) {
            EXPECT_EQ(closeCodeIn(got), cs.expectClose)
                << cs.name << ": RFC 6455 7.1.7: the server SHOULD send a close frame with this code before closing";
        }
        if (!cs.handshake && got.rfind("HTTP/1.1 4", 0) == 0) continue;  // answered with an HTTP error: fine
        EXPECT_TRUE(r.closed()) << cs.name << ": the server should answer or close such a connection within 3 s"
                                << (got.empty() ? " (it sent nothing)" : "");
    }
    // A raw client that does everything right still gets through, and nothing of the above was
    // delivered as a message.
    RawClient good("127.0.0.1", port);
    ASSERT_TRUE(good.handshake());
    ASSERT_TRUE(good.sendAll(wsFrame(1, "alive")));
    auto m = s.receive(5000);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->text, "alive") << "a broken frame was delivered as a message";
    // Fragments, with a ping between them, make one message.
    ASSERT_TRUE(good.sendAll(wsFrame(1, "frag", false) + wsFrame(9, "p") + wsFrame(0, "men", false) + wsFrame(0, "ted")));
    m = s.receive(5000);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->text, "fragmented");
    std::string pong = good.recvUntil("p", 3s);
    EXPECT_NE(pong.find("\x8a\x01p"), std::string::npos) << "a ping is answered with a pong";
    EXPECT_FALSE(s.receive(200));
}

TEST_F(ServerRobust, AnUnfinishedHandshakeIsNotKeptForever) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    RawClient r("127.0.0.1", int(s.port()));
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r.sendAll("GET / HTTP/1.1\r\nHost: x\r\n"));  // and never the rest
    auto t0 = std::chrono::steady_clock::now();
    bool closed = r.waitClosed(40s);
    EXPECT_TRUE(closed) << "a half-sent handshake is still held open after 40 s (slowloris)";
    if (closed) std::printf("  the server dropped the half handshake after %.1f s\n",
                            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

TEST_F(ServerRobust, AClientThatDoesNotReadIsDisconnected) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(c.set("РазмерОчередиОтправки", I(1024 * 1024))) << "SendQueueSize";
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    RawClient r("127.0.0.1", int(s.port()), 4096);
    ASSERT_TRUE(r.handshake());
    ASSERT_TRUE(r.sendAll(wsFrame(1, "id please")));
    auto m = s.receive(5000);
    ASSERT_TRUE(m);
    const long id = m->id;
    const std::string chunk(100 * 1024, 'z');
    int sent = 0;
    bool refused = false;
    for (; sent < 500; ++sent) {
        auto res = s.send(id, S(chunk));
        ASSERT_TRUE(res.ok) << "Отправить must not raise: " << res.describe();
        if (!res.ret.boolean()) {
            refused = true;
            break;
        }
    }
    bool gone = waitUntil([&] { return s.connections().empty(); }, 10s);
    EXPECT_TRUE(gone) << "after " << sent << " x 100 KB to a client that never reads, Соединения = \""
                      << s.connections() << "\"";
    EXPECT_TRUE(refused || gone);
    EXPECT_LT(sent, 500) << "50 MB queued for a client with a 1 MB queue";
}

// Отключить sends a close frame and waits for the peer's answer at most the close timeout (2 s).
// A peer that keeps TCP open and never answers (a frozen tab, a half-open mobile link) must not
// keep its connection, its slot under МаксимумСоединений, or 1C's Disconnected event waiting.
// Pings are off, so only the close timeout can end it.
TEST_F(ServerRobust, DisconnectEndsAConnectionWhosePeerNeverAnswersTheClose) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(c.set("ИнтервалПинга", I(0)));
    ASSERT_TRUE(c.set("СобытияСоединений", B(true)));
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    // Принять(Таймаут, ИДКлиента, Данные, Событие): the event of the next entry, "" if none came.
    auto nextEvent = [&](int timeoutMs, long* id) {
        std::vector<Variant> a{I(timeoutMs), I(0), S(""), S("")};
        auto r = c.call("Принять", a);
        *id = long(a[1].integer());
        return r.isTrue() ? a[3].str() : std::string();
    };
    RawClient r("127.0.0.1", int(s.port()));
    ASSERT_TRUE(r.handshake());
    long id = 0;
    ASSERT_EQ(nextEvent(5000, &id), "connected");
    auto res = s.disconnect(id);
    ASSERT_TRUE(res.ok) << res.describe();

    // The client reads (so the close frame is delivered) but never answers it.
    std::string got, event;
    long gone = 0;
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (event.empty() && std::chrono::steady_clock::now() < deadline) {
        got += r.recvSome(50ms);
        event = nextEvent(50, &gone);
    }
    ASSERT_EQ(event, "disconnected") << "a peer that never answers the close still holds its connection: "
                                     << s.connections();
    EXPECT_EQ(gone, id);
    EXPECT_EQ(closeCodeIn(got), 1000) << "the close frame must have been sent first";
    EXPECT_EQ(s.connections(), "");
}

TEST_F(ServerRobust, ADeadClientIsDetectedByPings) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(c.set("ИнтервалПинга", I(200)));
    ASSERT_TRUE(c.set("ТаймаутПинга", I(300)));
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    // A client that completes the handshake and then never answers anything.
    RawClient r("127.0.0.1", int(s.port()));
    ASSERT_TRUE(r.handshake());
    ASSERT_TRUE(waitUntil([&] { return !s.connections().empty(); }, 3s));
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(waitUntil([&] { return s.connections().empty(); }, 5s))
        << "a client that never answers pings is still connected: " << s.connections();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
}

TEST_F(ServerRobust, SettingsAreReadableAndWritable) {
    Component& c = make();
    struct P {
        std::string ru, en;
        Variant def, set;
    };
    std::vector<P> props = {
        {"СобытияСоединений", "ConnectionEvents", B(false), B(true)},
        {"ВнешниеСобытия", "ExternalEvents", B(false), B(true)},
        {"Подпротоколы", "Subprotocols", S(""), S("chat,superchat")},
        {"РазрешенныеИсточники", "AllowedOrigins", S(""), S("https://a.example")},
        {"МаксимальныйРазмерСообщения", "MaxMessageSize", I(67108864), I(1000)},
        {"МаксимумСоединений", "MaxConnections", I(10000), I(5)},
        {"РазмерОчередиОтправки", "SendQueueSize", I(67108864), I(1 << 20)},
        {"ИнтервалПинга", "PingInterval", I(30000), I(0)},
        {"ТаймаутПинга", "PingTimeout", I(30000), I(1000)},
    };
    for (auto& p : props) {
        long n = c.findProp(p.ru);
        ASSERT_GE(n, 0) << p.ru;
        EXPECT_EQ(c.findProp(p.en), n) << p.en;
        EXPECT_TRUE(c.isPropWritable(n)) << p.ru;
        Variant v = c.get(p.en);
        EXPECT_EQ(v.describe(), p.def.describe()) << p.en << " default";
        EXPECT_TRUE(c.set(p.ru, p.set)) << p.ru;
        EXPECT_EQ(c.get(p.ru).describe(), p.set.describe()) << p.ru << " after set";
    }
}

// ------------------------------------------------------------------------------------------------
class ServerFeatures : public PeerTest {};

TEST_P(ServerFeatures, ConnectionEventsInThePollingLoop) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(c.set("СобытияСоединений", B(true)));
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    PeerOptions o;
    o.headers.push_back("Authorization: Bearer t0k3n");
    auto p = connect("ws://127.0.0.1:" + std::to_string(s.port()) + "/chat?token=abc", o);
    ASSERT_TRUE(p);
    auto receive4 = [&](std::string* event) -> std::optional<Msg> {
        std::vector<Variant> a{I(10000), I(0), S(""), S("")};
        step("Принять with 4 parameters");
        auto r = c.call("Принять", a);
        if (!r.isTrue()) return std::nullopt;
        *event = a[3].str();
        Msg m;
        m.id = long(a[1].integer());
        m.binary = a[2].isBlob();
        m.text = a[2].str();
        return m;
    };
    std::string ev;
    auto m = receive4(&ev);
    ASSERT_TRUE(m);
    EXPECT_EQ(ev, "connected");
    auto info = json::parse(m->text, nullptr, false);
    ASSERT_FALSE(info.is_discarded()) << m->text;
    EXPECT_EQ(info.value("id", 0L), m->id);
    EXPECT_EQ(info.value("path", ""), "/chat");
    EXPECT_NE(info.value("query", "").find("token=abc"), std::string::npos) << m->text;
    EXPECT_NE(m->text.find("Bearer t0k3n"), std::string::npos) << "headers in the connect event: " << m->text;
    EXPECT_EQ(info.value("address", "").rfind("127.0.0.1:", 0), 0u) << m->text;

    ASSERT_TRUE(p->sendText("payload"));
    m = receive4(&ev);
    ASSERT_TRUE(m);
    EXPECT_EQ(ev, "message");
    EXPECT_EQ(m->text, "payload");
    // The three-parameter loop still works and leaves events to those who ask.
    ASSERT_TRUE(p->sendText("three"));
    auto m3 = s.receive(10000);
    ASSERT_TRUE(m3);
    EXPECT_EQ(m3->text, "three");

    ASSERT_TRUE(p->close(1000, "bye"));
    m = receive4(&ev);
    ASSERT_TRUE(m);
    EXPECT_EQ(ev, "disconnected");
    auto d = json::parse(m->text, nullptr, false);
    ASSERT_FALSE(d.is_discarded()) << m->text;
    EXPECT_EQ(d.value("code", 0), 1000);
    EXPECT_EQ(d.value("reason", ""), "bye");
}

TEST_P(ServerFeatures, ConnectionInfoTellsWhoIsConnecting) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(c.set("Подпротоколы", S("chat,superchat")));
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    PeerOptions o;
    o.headers.push_back("Cookie: session=xyz");
    o.subprotocols.push_back("superchat");
    auto p = connect("ws://127.0.0.1:" + std::to_string(s.port()) + "/room/1?user=%D0%AF", o);
    ASSERT_TRUE(p);
    auto h = p->history();
    ASSERT_FALSE(h.empty());
    EXPECT_EQ(h[0].value("subprotocol", ""), "superchat");
    long id = hello(s, *p, "hi");
    auto r = c.call("ИнформацияОСоединении", {I(int32_t(id))});
    ASSERT_TRUE(r.ok) << r.describe();
    auto info = json::parse(r.ret.str(), nullptr, false);
    ASSERT_FALSE(info.is_discarded()) << r.ret.str();
    EXPECT_EQ(info.value("id", 0L), id);
    EXPECT_EQ(info.value("path", ""), "/room/1");
    EXPECT_NE(info.value("query", "").find("user="), std::string::npos) << r.ret.str();
    EXPECT_EQ(info.value("subprotocol", ""), "superchat");
    EXPECT_NE(r.ret.str().find("session=xyz"), std::string::npos) << r.ret.str();
    r = c.call("ConnectionInfo", {I(999)});
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_EQ(r.ret.str(), "");
    EXPECT_NE(s.errorDescription(), "");
}

TEST_P(ServerFeatures, DisconnectWithACodeAndReason) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto p = connect(wsUrl(int(s.port())));
    ASSERT_TRUE(p);
    long id = hello(s, *p, "token?");
    auto r = c.call("Отключить", {I(int32_t(id)), I(4001), S("Unauthorized")});
    EXPECT_TRUE(r.isTrue()) << r.describe();
    auto e = p->waitClosed(10s);
    ASSERT_TRUE(e) << p->diagnostics();
    EXPECT_EQ((*e)["code"], 4001);
    EXPECT_EQ((*e)["reason"], "Unauthorized");
}

TEST_P(ServerFeatures, BroadcastToAllAndToAList) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    std::vector<std::unique_ptr<Peer>> peers;
    std::vector<long> ids;
    for (int k = 0; k < 3; ++k) {
        peers.push_back(connect(wsUrl(int(s.port()))));
        ASSERT_TRUE(peers.back());
        ids.push_back(hello(s, *peers.back(), "p" + std::to_string(k)));
    }
    auto r = c.call("Разослать", {S("всем")});
    ASSERT_TRUE(r.ok) << r.describe();
    EXPECT_EQ(r.ret.integer(), 3);
    for (auto& p : peers) {
        auto e = p->waitFor("message", 10s);
        ASSERT_TRUE(e) << p->diagnostics();
        EXPECT_EQ((*e)["data"], "всем");
    }
    std::vector<uint8_t> b{9, 8, 7};
    r = c.call("Broadcast", {BLOB(b), S(std::to_string(ids[0]) + "," + std::to_string(ids[2]))});
    ASSERT_TRUE(r.ok) << r.describe();
    EXPECT_EQ(r.ret.integer(), 2);
    for (int k : {0, 2}) {
        auto e = peers[k]->waitFor("message", 10s);
        ASSERT_TRUE(e);
        EXPECT_EQ((*e)["type"], "binary");
        EXPECT_EQ(base64Decode((*e)["data"].get<std::string>()), b);
    }
    EXPECT_FALSE(peers[1]->waitFor("message", 300ms)) << "client 2 was not in the list";
    // An empty list is a list: nobody, not everybody (a list built from an empty set must reach no one).
    r = c.call("Разослать", {S("nobody"), S("")});
    ASSERT_TRUE(r.ok) << r.describe();
    EXPECT_EQ(r.ret.integer(), 0);
    r = c.call("Разослать", {S("all again"), E()});
    EXPECT_EQ(r.ret.integer(), 3) << "Неопределено means every open connection: " << r.describe();
    for (auto& p : peers) {
        auto e = p->waitFor("message", 10s);
        ASSERT_TRUE(e);
        EXPECT_EQ((*e)["data"], "all again") << "the empty list reached someone";
    }
}

// An empty body is a message too: empty ДвоичныеДанные broadcast as an empty binary frame, "" as an
// empty text frame (an empty binary body used to fail Разослать with an internal error).
// Stop closes every connection with 1001, and with connection events on, the polling loop hears of
// each end: code-keeping 1C code (per-connection state) can clean up after Stop too.
TEST_P(ServerFeatures, StopReportsTheEndOfEveryConnection) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(c.set("СобытияСоединений", B(true)));
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    std::vector<std::unique_ptr<Peer>> peers;
    std::set<long> ids;
    for (int k = 0; k < 3; ++k) {
        peers.push_back(connect(wsUrl(int(s.port()))));
        ASSERT_TRUE(peers.back());
        auto e = receiveEventOf(c, 5000);
        ASSERT_TRUE(e && e->second == "connected");
        ids.insert(e->first);
    }
    ASSERT_TRUE(s.stop().ok);
    std::map<long, int> ended;
    for (int k = 0; k < 3; ++k) {
        auto e = receiveEventOf(c, 100);
        ASSERT_TRUE(e) << "a disconnected event is missing after Stop";
        EXPECT_EQ(e->second, "disconnected");
        ended[e->first] = e->third;
    }
    for (long id : ids) EXPECT_EQ(ended[id], 1001) << "connection " << id;
    for (auto& p : peers) {
        auto closed = p->waitClosed(10s);
        ASSERT_TRUE(closed) << p->diagnostics();
        EXPECT_EQ((*closed)["code"], 1001);
    }
    EXPECT_FALSE(receiveEventOf(c, 100)) << "after the events, Receive returns False at once";
}

TEST_P(ServerFeatures, BroadcastOfEmptyBodies) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    std::vector<std::unique_ptr<Peer>> peers;
    for (int k = 0; k < 2; ++k) {
        peers.push_back(connect(wsUrl(int(s.port()))));
        ASSERT_TRUE(peers.back());
        hello(s, *peers.back(), "p" + std::to_string(k));
    }
    auto r = c.call("Разослать", {BLOB(std::vector<uint8_t>{})});
    ASSERT_TRUE(r.ok) << r.describe();
    EXPECT_EQ(r.ret.integer(), 2);
    r = c.call("Разослать", {S("")});
    ASSERT_TRUE(r.ok) << r.describe();
    EXPECT_EQ(r.ret.integer(), 2);
    for (auto& p : peers) {
        auto e = p->waitFor("message", 10s);
        ASSERT_TRUE(e) << p->diagnostics();
        EXPECT_EQ((*e)["type"], "binary");
        EXPECT_EQ((*e)["data"], "");
        e = p->waitFor("message", 10s);
        ASSERT_TRUE(e) << p->diagnostics();
        EXPECT_EQ((*e)["type"], "text");
        EXPECT_EQ((*e)["data"], "");
    }
}

TEST_P(ServerFeatures, MaxMessageSizeClosesWith1009) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(c.set("МаксимальныйРазмерСообщения", I(1000)));
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto p = connect(wsUrl(int(s.port())));
    ASSERT_TRUE(p);
    ASSERT_TRUE(p->sendGenerated("text", 1000));
    auto m = s.receive(10000);
    ASSERT_TRUE(m) << "exactly the limit is allowed";
    EXPECT_EQ(m->text.size(), 1000u);
    EXPECT_EQ(c.get("МаксимальныйРазмерСообщения").integer(), 1000);
    ASSERT_TRUE(p->sendGenerated("binary", 2000));
    auto e = p->waitClosed(10s);
    auto late = s.receive(300);
    EXPECT_FALSE(late) << "the oversized message was delivered (" << (late ? late->bytes.size() : 0) << " bytes)";
    ASSERT_TRUE(e) << "no close within 10 s after a 2000-byte message with МаксимальныйРазмерСообщения = 1000; Соединения = \""
                   << s.connections() << "\"\n" << p->diagnostics();
    EXPECT_EQ((*e)["code"], 1009);
}

TEST_P(ServerFeatures, MaxConnections) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(c.set("МаксимумСоединений", I(2)));
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto p1 = connect(wsUrl(int(s.port())));
    auto p2 = connect(wsUrl(int(s.port())));
    ASSERT_TRUE(p1 && p2);
    hello(s, *p1, "1");
    hello(s, *p2, "2");
    auto p3 = connect(wsUrl(int(s.port())), {}, false);
    ASSERT_TRUE(p3);
    EXPECT_FALSE(p3->waitOpen(15s)) << "a third connection beyond МаксимумСоединений = 2 was accepted";
    // What a client that is refused sees: HTTP 503 before the upgrade.
    RawClient raw("127.0.0.1", int(s.port()));
    ASSERT_TRUE(raw.ok());
    raw.sendAll("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    auto head = raw.recvUntil("\r\n", 5000ms);
    EXPECT_EQ(head.substr(0, 12), "HTTP/1.1 503") << head;
    // Room again once one leaves.
    ASSERT_TRUE(p1->close(1000, ""));
    ASSERT_TRUE(p1->waitClosed(10s));
    ASSERT_TRUE(waitUntil([&] { return s.connections().find('|') == std::string::npos; }, 5s));
    auto p4 = connect(wsUrl(int(s.port())));
    EXPECT_TRUE(p4);
}

TEST_P(ServerFeatures, AllowedOrigins) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(c.set("РазрешенныеИсточники", S("https://good.example, https://also.example")));
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    PeerOptions bad;
    bad.origin = "https://evil.example";
    auto p = connect(wsUrl(int(s.port())), bad, false);
    ASSERT_TRUE(p);
    EXPECT_FALSE(p->waitOpen(15s)) << "a foreign Origin was accepted";
    PeerOptions good;
    good.origin = "https://also.example";
    auto q = connect(wsUrl(int(s.port())), good);
    EXPECT_TRUE(q);
}

TEST_P(ServerFeatures, PingsKeepAGoodClientConnected) {
    Component& c = make();
    Server s(c);
    // Pings every 200 ms, each to be answered within 1.5 s: over 4 s the client must answer many
    // of them (the slack is for a loaded 2-core machine, not for the client).
    ASSERT_TRUE(c.set("ИнтервалПинга", I(200)));
    ASSERT_TRUE(c.set("ТаймаутПинга", I(1500)));
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto p = connect(wsUrl(int(s.port())));
    ASSERT_TRUE(p);
    long id = hello(s, *p, "ping me");
    std::this_thread::sleep_for(4s);
    EXPECT_FALSE(s.connections().empty()) << "a client that answers pings was disconnected";
    EXPECT_TRUE(s.sendText(id, "still here"));
    auto e = p->waitFor("message", 5s);
    ASSERT_TRUE(e) << p->diagnostics();
}

TEST_P(ServerFeatures, ExternalEventsNeverLoseAMessage) {
    Component& c = make();
    Server s(c);
    auto& platform = c.platform();
    ASSERT_TRUE(c.set("ВнешниеСобытия", B(true)));
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto p = connect(wsUrl(int(s.port())));
    ASSERT_TRUE(p);
    ASSERT_TRUE(p->sendMany("e", 50));
    ASSERT_TRUE(p->waitFor("sent", 10s));
    EventRecord ev;
    ASSERT_TRUE(platform.takeEvent(&ev, 5s)) << "no ExternalEvent for waiting messages";
    EXPECT_EQ(ev.source, "AddIn.WebSocket.Server");
    EXPECT_EQ(ev.message, "message") << "one spelling: the word Receive gives for a message";
    EXPECT_EQ(ev.data, std::to_string(s.port()));
    for (int i = 0; i < 50; ++i) {
        auto m = s.receive(5000);
        ASSERT_TRUE(m) << "message " << i << " lost";
        EXPECT_EQ(m->text, "e" + std::to_string(i));
    }
    EXPECT_FALSE(s.receive(200));
    // A new message after the queue was drained raises a new event.
    ASSERT_TRUE(p->sendText("again"));
    EXPECT_TRUE(platform.takeEvent(&ev, 5s)) << "no event for a message after the queue was drained";
    auto m = s.receive(5000);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->text, "again");

    // The platform's buffer full of someone else's event: the message still waits for Receive.
    ASSERT_TRUE(platform.externalEvent("Other", "Busy", ""));
    ASSERT_TRUE(p->sendText("while full"));
    m = s.receive(5000);
    ASSERT_TRUE(m) << "the message was lost when the event buffer was full";
    EXPECT_EQ(m->text, "while full");
}

INSTANTIATE_TEST_SUITE_P(Peers, ServerFeatures, ::testing::ValuesIn(allPeerKinds()), peerName);

}  // namespace
