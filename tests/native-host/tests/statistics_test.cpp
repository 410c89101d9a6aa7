// What an administrator sees: Статистика() (counters as JSON: connections, refusals by reason,
// messages and bytes, ends by close code and cause, what waits for Receive, memory) and the log
// file (ФайлЖурнала: one line per connection event and refusal, ISO-8601 time, id, address,
// reason; never bodies, query strings or cookies; bounded by РазмерЖурнала with rotation).
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "server_support.h"

using namespace wstest;

namespace {

json statistics(Component& c) {
    auto r = c.call("Статистика");
    EXPECT_TRUE(r.ok) << r.describe();
    auto j = json::parse(r.ret.str(), nullptr, false);
    EXPECT_TRUE(j.is_object()) << r.ret.str();
    return j;
}

std::string ask(int port, const std::string& request) {
    RawClient r("127.0.0.1", port);
    r.sendAll(request);
    return r.recvUntil("\r\n\r\n", 5000ms);
}

std::string upgradeRequest(int port, const std::string& path, const std::string& extra = "", const std::string& version = "13") {
    return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Version: " + version + "\r\n" + extra + "\r\n";
}

class Administration : public AddinTest {};

TEST_F(Administration, CountersTellWhatHappened) {
    TempDir dir("ws-log");
    const std::string logFile = dir.file("websocket.log");
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(c.set("МаксимумСоединений", I(2)));
    ASSERT_TRUE(c.set("МаксимальныйРазмерСообщения", I(1000)));
    ASSERT_TRUE(c.set("РазрешенныеИсточники", S("https://good.example")));
    ASSERT_TRUE(c.set("ФайлЖурнала", S(logFile)));
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    const int port = int(s.port());

    auto fresh = statistics(c);
    EXPECT_EQ(fresh["connections"], 0);
    EXPECT_EQ(fresh["accepted"], 0);

    // Two clients: one says hello and closes with 1000, the other sends too much (1009).
    RawClient a("127.0.0.1", port), b("127.0.0.1", port);
    ASSERT_TRUE(a.handshake("/ws/?token=SECRET-TOKEN", "Cookie: session=SECRET-COOKIE\r\n") && b.handshake("/ws/"));
    ASSERT_TRUE(a.sendAll(wsFrame(1, "hello, the body must not be logged")));
    auto m = s.receive(5000);
    ASSERT_TRUE(m);
    ASSERT_TRUE(s.sendText(m->id, "answer"));
    // Refused: MaxConnections (two are open), a plain HTTP request, a version 8 upgrade, a foreign Origin.
    EXPECT_EQ(ask(port, upgradeRequest(port, "/")).substr(0, 12), "HTTP/1.1 503");
    EXPECT_EQ(ask(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").substr(0, 12), "HTTP/1.1 426");
    EXPECT_EQ(ask(port, upgradeRequest(port, "/", "", "8")).substr(0, 12), "HTTP/1.1 426");
    ASSERT_TRUE(a.sendAll(wsFrame(8, "\x03\xe8")));  // a closes with 1000
    ASSERT_TRUE(a.waitClosed(5000ms));
    EXPECT_EQ(ask(port, upgradeRequest(port, "/", "Origin: https://evil.example\r\n")).substr(0, 12), "HTTP/1.1 403");
    // A connection that ends without a request.
    { RawClient silent("127.0.0.1", port); }
    ASSERT_TRUE(b.sendAll(wsFrame(1, std::string(1500, 'x'))));  // over MaxMessageSize
    std::string got;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!b.closed() && std::chrono::steady_clock::now() < deadline) got += b.recvSome(200ms);
    EXPECT_EQ(closeCodeIn(got), 1009);
    ASSERT_TRUE(waitUntil([&] { return statistics(c)["connections"] == 0; }, 5s));
    ASSERT_TRUE(waitUntil([&] { return statistics(c)["refused"]["droppedBeforeHandshake"] == 1; }, 5s)) << statistics(c).dump();

    auto st = statistics(c);
    std::printf("[ info ] %s\n", st.dump().c_str());
    EXPECT_EQ(st["accepted"], 2);
    EXPECT_EQ(st["refused"]["maxConnections"], 1);
    EXPECT_EQ(st["refused"]["notWebSocket"], 1);
    EXPECT_EQ(st["refused"]["badHandshake"], 1);
    EXPECT_EQ(st["refused"]["origin"], 1);
    EXPECT_EQ(st["refused"]["handshakeTimeout"], 0);
    EXPECT_EQ(st["messagesIn"], 1) << "the too-big message is not a message";
    EXPECT_EQ(st["messagesOut"], 1);
    EXPECT_GT(st["bytesIn"].get<long>(), 1500);
    EXPECT_GT(st["bytesOut"].get<long>(), 6);
    EXPECT_EQ(st["closeCodes"]["1000"], 1) << st.dump();
    EXPECT_EQ(st["closeCodes"]["1009"], 1) << st.dump();
    EXPECT_EQ(st["ended"]["peerClosed"], 1);
    EXPECT_EQ(st["ended"]["messageTooBig"], 1);
    EXPECT_EQ(st["queued"], 0);
    EXPECT_EQ(st["memory"]["limit"], 256ll * 1024 * 1024);
    EXPECT_GT(st["memory"]["peak"].get<long>(), 0) << "the hello was held until Receive took it";
    EXPECT_EQ(st["memory"]["used"], 0);
    ASSERT_TRUE(s.stop().ok);

    // The log, once Stop has closed it.
    const std::string log = readFile(logFile);
    std::printf("[ info ] the log:\n%s", log.c_str());
    std::istringstream lines(log);
    std::string line;
    int connected = 0, disconnected = 0, refused = 0;
    const std::regex stamp(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d (INFO|WARN) )");
    while (std::getline(lines, line)) {
        EXPECT_TRUE(std::regex_search(line, stamp)) << "no ISO-8601 time and level: " << line;
        if (line.find(" connected id=") != std::string::npos) {
            ++connected;
            EXPECT_NE(line.find("address=127.0.0.1:"), std::string::npos) << line;
        }
        if (line.find(" disconnected id=") != std::string::npos) ++disconnected;
        if (line.find(" refused reason=") != std::string::npos) ++refused;
    }
    EXPECT_EQ(connected, 2) << log;
    EXPECT_EQ(disconnected, 2) << log;
    EXPECT_EQ(refused, 5) << log;
    EXPECT_NE(log.find("code=1009 cause=messageTooBig"), std::string::npos) << log;
    EXPECT_NE(log.find("reason=origin"), std::string::npos) << log;
    for (const char* secret : {"SECRET-TOKEN", "SECRET-COOKIE", "body must not", "answer"})
        EXPECT_EQ(log.find(secret), std::string::npos) << "the log shows " << secret;
}

TEST_F(Administration, AHandshakeThatNeverComesIsCounted) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    RawClient idle("127.0.0.1", int(s.port()));
    ASSERT_TRUE(idle.ok());
    idle.sendAll("GET / HTTP/1.1\r\n");  // and never the rest
    EXPECT_TRUE(idle.waitClosed(15000ms)) << "the server kept an unfinished handshake";
    ASSERT_TRUE(waitUntil([&] { return statistics(c)["refused"]["handshakeTimeout"] == 1; }, 5s)) << statistics(c).dump();
}

TEST_F(Administration, TheLogIsRotatedAtItsSize) {
    TempDir dir("ws-log");
    const std::string logFile = dir.file("ws.log");
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(c.set("ФайлЖурнала", S(logFile)));
    ASSERT_TRUE(c.set("РазмерЖурнала", I(64 * 1024)));
    EXPECT_FALSE(c.set("РазмерЖурнала", I(1000)));
    EXPECT_FALSE(c.set("УровеньЖурнала", S("verbose")));
    EXPECT_NE(c.errorDescription().find("LogLevel"), std::string::npos) << c.errorDescription();
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    for (int i = 0; i < 1200; ++i) ask(int(s.port()), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(s.stop().ok);
    const std::string current = readFile(logFile), previous = readFile(logFile + ".1");
    EXPECT_FALSE(previous.empty()) << "no rotation";
    EXPECT_LE(current.size(), 64u * 1024);
    EXPECT_LE(previous.size(), 64u * 1024);
    EXPECT_NE(current.find("reason=notWebSocket"), std::string::npos);
}

TEST_F(Administration, ALogThatCannotBeWrittenIsAClearError) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(c.set("ФайлЖурнала", S("/nonexistent-dir/ws.log")));
    auto r = s.run("127.0.0.1", 0);
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(r.hasError("Cannot open the log file (LogFile) /nonexistent-dir/ws.log")) << r.describe();
    EXPECT_EQ(s.port(), 0) << "nothing may be bound when Run fails";
}

}  // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
