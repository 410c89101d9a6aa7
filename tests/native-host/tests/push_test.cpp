// Push from any 1C session: the server's HTTP push endpoint (АдресОтправки, СекретОтправки,
// ЧастотаОтправки), off by default, driven from a separate process (tests/peers/push/push.py, what
// HTTPСоединение does) while real clients receive: to one connection, a list, all; the answer says
// how many were queued; everything else refused with a clear HTTP status.
#include <sstream>

#include "base64.h"
#include "server_support.h"

using namespace wstest;

namespace {

const std::string kSecret = "s3cret-push-key-0123456789";

struct Answer {
    int status = 0;
    json body;
};

/// One request from a process of its own; `extra` are more push.py options.
std::vector<Answer> push(int port, const std::string& pathAndQuery, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{"/usr/bin/python3", Library::repoDir() + "/tests/peers/push/push.py",
                                  "http://127.0.0.1:" + std::to_string(port) + pathAndQuery};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::string out;
    int rc = runCommand(argv, &out, 60000ms);
    EXPECT_EQ(rc, 0) << out;
    std::vector<Answer> answers;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
        auto j = json::parse(line, nullptr, false);
        if (!j.is_object()) continue;
        Answer a;
        a.status = j["status"];
        a.body = json::parse(j["body"].get<std::string>(), nullptr, false);
        answers.push_back(a);
    }
    return answers;
}

Answer pushOne(int port, const std::string& pathAndQuery, std::vector<std::string> extra = {}) {
    auto all = push(port, pathAndQuery, std::move(extra));
    return all.empty() ? Answer{} : all.front();
}

class Push : public PeerTest {
protected:
    /// A server with the push endpoint on (loopback, a free port).
    int startWithPush(Component& c, Server& s) {
        EXPECT_EQ(c.get("ПортОтправки").integer(), 0) << "off by default";
        EXPECT_TRUE(c.set("АдресОтправки", S("127.0.0.1:0")));
        EXPECT_TRUE(c.set("СекретОтправки", S(kSecret)));
        EXPECT_TRUE(s.run("127.0.0.1", 0).isTrue());
        int port = int(c.get("ПортОтправки").integer());
        EXPECT_GT(port, 0);
        EXPECT_NE(port, s.port());
        return port;
    }
};

TEST_P(Push, ToOneToAListToAllWhileClientsReceive) {
    Component& c = make();
    Server s(c);
    const int pushPort = startWithPush(c, s);
    auto p1 = connect(wsUrl(int(s.port())));
    auto p2 = connect(wsUrl(int(s.port())));
    ASSERT_TRUE(p1 && p2);
    long id1 = hello(s, *p1, "one"), id2 = hello(s, *p2, "two");

    auto a = pushOne(pushPort, "/send?id=" + std::to_string(id1), {"--secret", kSecret, "--body", "документ проведён"});
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.body["queued"], 1);
    auto e = p1->waitFor("message", 10s);
    ASSERT_TRUE(e) << p1->diagnostics();
    EXPECT_EQ((*e)["data"], "документ проведён");

    a = pushOne(pushPort, "/send?ids=" + std::to_string(id1) + "," + std::to_string(id2) + ",999", {"--secret-header", kSecret, "--body", "to the list"});
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.body["queued"], 2) << "999 is not connected";
    for (auto* p : {p1.get(), p2.get()}) {
        auto m = p->waitFor("message", 10s);
        ASSERT_TRUE(m) << p->diagnostics();
        EXPECT_EQ((*m)["data"], "to the list");
    }

    a = pushOne(pushPort, "/broadcast", {"--secret", kSecret, "--binary", "00ff10"});
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.body["queued"], 2);
    for (auto* p : {p1.get(), p2.get()}) {
        auto m = p->waitFor("message", 10s);
        ASSERT_TRUE(m) << p->diagnostics();
        EXPECT_EQ((*m)["type"], "binary");
        EXPECT_EQ(base64Decode((*m)["data"].get<std::string>()), (std::vector<uint8_t>{0x00, 0xFF, 0x10}));
    }

    a = pushOne(pushPort, "/send?id=" + std::to_string(id2 + 100), {"--secret", kSecret, "--body", "nobody"});
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.body["queued"], 0);

    a = pushOne(pushPort, "/statistics", {"--method", "GET", "--secret", kSecret});
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.body["connections"], 2) << a.body.dump();
}

TEST_P(Push, EverythingElseIsRefusedClearly) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(c.set("МаксимальныйРазмерСообщения", I(1000)));
    const int pushPort = startWithPush(c, s);
    auto p = connect(wsUrl(int(s.port())));
    ASSERT_TRUE(p);
    long id = hello(s, *p, "here");
    const std::string to = "/send?id=" + std::to_string(id);
    EXPECT_EQ(pushOne(pushPort, to, {"--body", "x"}).status, 401) << "no secret";
    EXPECT_EQ(pushOne(pushPort, to, {"--secret", kSecret + "x", "--body", "x"}).status, 401) << "a wrong secret";
    EXPECT_EQ(pushOne(pushPort, to, {"--secret", kSecret.substr(0, 10), "--body", "x"}).status, 401) << "a prefix of it";
    EXPECT_EQ(pushOne(pushPort, to, {"--secret", kSecret, "--method", "PUT", "--body", "x"}).status, 405);
    EXPECT_EQ(pushOne(pushPort, "/elsewhere", {"--secret", kSecret, "--body", "x"}).status, 404);
    EXPECT_EQ(pushOne(pushPort, "/send?id=abc", {"--secret", kSecret, "--body", "x"}).status, 400);
    EXPECT_EQ(pushOne(pushPort, "/send", {"--secret", kSecret, "--body", "x"}).status, 400);
    EXPECT_EQ(pushOne(pushPort, to, {"--secret", kSecret, "--body", std::string(1001, 'b')}).status, 413);
    EXPECT_EQ(pushOne(pushPort, to, {"--secret", kSecret, "--raw-body", "c080"}).status, 400) << "not UTF-8";
    // Nothing of that reached the client.
    EXPECT_FALSE(p->waitFor("message", 1s)) << "a refused push was delivered";
    // A WebSocket upgrade on the push port is not a WebSocket.
    RawClient raw("127.0.0.1", pushPort);
    EXPECT_FALSE(raw.handshake()) << "the push endpoint accepted a WebSocket";
}

TEST_P(Push, TheRateIsLimited) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(c.set("ЧастотаОтправки", I(3)));
    const int pushPort = startWithPush(c, s);
    auto answers = push(pushPort, "/broadcast", {"--secret", kSecret, "--body", "x", "--repeat", "12"});
    ASSERT_EQ(answers.size(), 12u);
    int ok = 0, limited = 0, other = 0;
    for (auto& a : answers) {
        if (a.status == 200) ++ok;
        else if (a.status == 429) ++limited;
        else ++other;
    }
    EXPECT_EQ(other, 0);
    EXPECT_GT(limited, 0) << "12 requests at once with ЧастотаОтправки = 3 were all accepted";
    EXPECT_GE(ok, 3);
}

INSTANTIATE_TEST_SUITE_P(Peers, Push, ::testing::Values(PeerKind::Python), peerName);

class PushSettings : public AddinTest {};

TEST_F(PushSettings, ClearErrorsForWhatCannotWork) {
    Component& c = make();
    Server s(c);
    EXPECT_FALSE(c.set("АдресОтправки", S("push.local:80")));
    EXPECT_NE(c.errorDescription().find("PushAddress"), std::string::npos) << c.errorDescription();
    ASSERT_TRUE(c.set("АдресОтправки", S("0")));
    ASSERT_TRUE(c.set("СекретОтправки", S("short")));
    auto r = s.run("127.0.0.1", 0);
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(r.hasError("PushSecret must be at least 16 characters long when PushAddress is set")) << r.describe();
    EXPECT_EQ(c.get("СекретОтправки").str(), "********") << "the secret is never read back";
}

}  // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
