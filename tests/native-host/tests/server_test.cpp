// AddIn.WebSocket.Server driven through the Native API exactly as 1C drives it, against real
// WebSocket clients (tests/peers), per /work/shared/contract.md.
#include <signal.h>

#include <map>
#include <set>
#include <thread>

#include "base64.h"
#include "server_support.h"
#include "sha256.h"
#include "utf.h"

using namespace wstest;

namespace {
const std::string kHello = "Привет, мир 🌍👋";

// ===================================================================================================
// Naming, introspection, errors: no peers needed.
// ===================================================================================================
class ServerApi : public AddinTest {};

TEST_F(ServerApi, PackageAndExports) {
    EXPECT_EQ(lib().classNames, "Server|Client") << "GetClassNames";
    EXPECT_EQ(lib().capabilitiesReturned, 3) << "SetPlatformCapabilities(3) should return 3";
    EXPECT_TRUE(lib().attachType == 3 || lib().attachType == -100) << "GetAttachType: " << lib().attachType;
    EXPECT_EQ(lib().bundleName, "WebSocket");
    Component& c = make();
    EXPECT_TRUE(c.initResult());
    EXPECT_TRUE(c.memResult());
    EXPECT_EQ(c.info(), 2000) << "GetInfo";
    EXPECT_FALSE(c.extensionName().empty()) << "RegisterExtensionAs";
    Component::Options client;
    client.className = "Client";
    make(client);
}

TEST_F(ServerApi, MethodsByRussianAndEnglishNamesInAnyCase) {
    Component& c = make();
    const std::vector<std::vector<std::string>> groups = {
        {"Запустить", "ЗАПУСТИТЬ", "запустить", "Run", "run", "RUN", "rUn"},
        {"Остановить", "ОСТАНОВИТЬ", "Stop", "stop", "STOP"},
        {"Отправить", "отправить", "Send", "SEND"},
        {"Принять", "ПРИНЯТЬ", "Receive", "receive"},
        {"Отключить", "ОтКлЮчИтЬ", "Disconnect", "DISCONNECT"},
        {"ОписаниеОшибки", "описаниеошибки", "ErrorDescription", "ERRORDESCRIPTION"},
    };
    std::set<long> seen;
    for (auto& g : groups) {
        long first = c.findMethod(g[0]);
        EXPECT_GE(first, 0) << g[0];
        for (auto& n : g) EXPECT_EQ(c.findMethod(n), first) << n << " vs " << g[0];
        EXPECT_TRUE(seen.insert(first).second) << g[0] << " shares an index with another method";
    }
    EXPECT_EQ(c.findMethod("НетТакого"), -1);
    EXPECT_EQ(c.findMethod(""), -1);

    const std::vector<std::vector<std::string>> props = {
        {"Сервер", "СЕРВЕР", "Server", "server"},
        {"Порт", "порт", "Port", "PORT"},
        {"Соединения", "соединения", "Connections", "CONNECTIONS"},
    };
    for (auto& g : props) {
        long first = c.findProp(g[0]);
        EXPECT_GE(first, 0) << g[0];
        for (auto& n : g) EXPECT_EQ(c.findProp(n), first) << n;
        if (first >= 0) {
            EXPECT_TRUE(c.isPropReadable(first)) << g[0];
            EXPECT_FALSE(c.isPropWritable(first)) << g[0] << " is read-only";
        }
    }
    EXPECT_EQ(c.findProp("НетТакого"), -1);
}

TEST_F(ServerApi, NamesAndParameterCounts) {
    Component& c = make();
    std::map<std::string, std::string> en2ru;
    for (long i = 0; i < c.nMethods(); ++i) en2ru[c.methodName(i, 0)] = c.methodName(i, 1);
    // The contract's parameters; the add-in may add optional ones after them (with defaults).
    const std::map<std::string, std::pair<std::string, long>> expected = {
        {"Run", {"Запустить", 5}},   {"Stop", {"Остановить", 0}},      {"Send", {"Отправить", 2}},
        {"Receive", {"Принять", 3}}, {"Disconnect", {"Отключить", 1}}, {"ErrorDescription", {"ОписаниеОшибки", 0}},
    };
    for (auto& [en, v] : expected) {
        ASSERT_TRUE(en2ru.count(en)) << "GetMethodName(n, 0) never gives " << en;
        EXPECT_EQ(en2ru[en], v.first) << "Russian name of " << en;
        long m = c.findMethod(en);
        long n = c.nParams(m);
        EXPECT_GE(n, v.second) << "GetNParams(" << en << ")";
        for (long p = v.second; p < n; ++p) {
            Variant owned;
            EXPECT_TRUE(c.paramDefValue(m, p, &owned))
                << en << ": parameter " << p + 1 << " goes beyond the contract, so it must be optional";
        }
    }
    for (const char* f : {"Run", "Send", "Receive", "Disconnect", "ErrorDescription"})
        EXPECT_TRUE(c.hasRetVal(c.findMethod(f))) << f << " is a function";
    std::map<std::string, std::string> props;
    for (long i = 0; i < c.nProps(); ++i) props[c.propName(i, 0)] = c.propName(i, 1);
    EXPECT_EQ(props["Server"], "Сервер");
    EXPECT_EQ(props["Port"], "Порт");
    EXPECT_EQ(props["Connections"], "Соединения");
    // Run's optional parameters default to "".
    long run = c.findMethod("Run");
    for (long p = 2; p < 5; ++p) {
        Variant owned;
        EXPECT_TRUE(c.paramDefValue(run, p, &owned)) << "Run parameter " << p + 1 << " has a default";
        EXPECT_TRUE(owned.isString() && owned.str().empty()) << "default of Run parameter " << p + 1 << ": "
                                                             << owned.describe();
    }
    for (long p = 0; p < 2; ++p) {
        Variant owned;
        EXPECT_FALSE(c.paramDefValue(run, p, &owned)) << "Run parameter " << p + 1 << " is required";
    }
}

TEST_F(ServerApi, PropertiesWhenStopped) {
    Component& c = make();
    Server s(c);
    EXPECT_EQ(s.server(), "");
    EXPECT_EQ(s.port(), 0);
    EXPECT_EQ(s.connections(), "");
    EXPECT_EQ(s.errorDescription(), "");
    EXPECT_FALSE(c.set("Порт", I(1))) << "Порт is read-only";
}

TEST_F(ServerApi, Port0PicksAFreePortAndPropertiesTellIt) {
    Component& c = make();
    Server s(c);
    auto r = s.run("127.0.0.1", 0);
    ASSERT_TRUE(r.isTrue()) << r.describe();
    long port = s.port();
    EXPECT_GT(port, 0);
    EXPECT_LT(port, 65536);
    EXPECT_FALSE(canBind("127.0.0.1", int(port))) << "the add-in should be listening on " << port;
    EXPECT_EQ(s.server(), "127.0.0.1");
    EXPECT_EQ(s.connections(), "");
    EXPECT_EQ(s.errorDescription(), "");
    auto st = s.stop();
    EXPECT_TRUE(st.ok) << st.describe();
    EXPECT_TRUE(st.errors.empty());
    EXPECT_EQ(s.port(), 0);
    EXPECT_EQ(s.server(), "");
    EXPECT_TRUE(canBind("127.0.0.1", int(port))) << "Остановить must release the port at once";
    st = s.stop();
    EXPECT_TRUE(st.ok) << "Stop twice is fine: " << st.describe();
    EXPECT_TRUE(st.errors.empty());
}

TEST_F(ServerApi, NumbersAsR8AndI8AreAccepted) {
    Component& c = make();
    Server s(c);
    auto r = c.call("Run", {S("127.0.0.1"), Variant::r8(0.0)});
    EXPECT_TRUE(r.isTrue()) << "port as R8: " << r.describe();
    s.stop();
    r = c.call("Run", {S("127.0.0.1"), Variant::i8(0)});
    EXPECT_TRUE(r.isTrue()) << "port as I8: " << r.describe();
    std::vector<Variant> a{Variant::r8(50.0), I(0), S("")};
    r = c.call("Receive", a);
    EXPECT_TRUE(r.ok && !r.ret.boolean()) << "timeout as R8: " << r.describe();
    s.stop();
}

TEST_F(ServerApi, ReceiveTimeoutReturnsFalsePromptlyAndClearsSlots) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    std::vector<Variant> a{I(300), I(77), S("junk")};
    auto t0 = std::chrono::steady_clock::now();
    step("Принять(300) with nothing queued");
    auto r = c.call("Принять", a);
    auto took = std::chrono::steady_clock::now() - t0;
    ASSERT_TRUE(r.ok) << r.describe();
    EXPECT_TRUE(r.ret.isBool()) << r.ret.describe();
    EXPECT_FALSE(r.ret.boolean());
    EXPECT_TRUE(r.errors.empty()) << r.describe();
    EXPECT_GE(took, 250ms) << "returned before the timeout";
    EXPECT_LT(took, 1500ms) << "returned long after the timeout";
    EXPECT_TRUE(a[1].isNumber()) << "ClientId = " << a[1].describe();
    EXPECT_EQ(a[1].integer(), 0);
    EXPECT_TRUE(a[2].isString()) << "Data = " << a[2].describe();
    EXPECT_EQ(a[2].str(), "");

    ASSERT_TRUE(s.stop().ok);
    for (int timeout : {5000, 0}) {
        std::vector<Variant> b{I(timeout), I(5), S("x")};
        t0 = std::chrono::steady_clock::now();
        step("Принять(" + std::to_string(timeout) + ") after Остановить");
        r = c.call("Принять", b);
        took = std::chrono::steady_clock::now() - t0;
        EXPECT_TRUE(r.ok) << r.describe();
        EXPECT_FALSE(r.ret.boolean());
        EXPECT_LT(took, 500ms) << "Принять(" << timeout << ") after Остановить must return at once";
        EXPECT_EQ(b[1].integer(), 0);
        EXPECT_EQ(b[2].str(), "");
    }
}

TEST_F(ServerApi, ReceiveOnANeverStartedServerReturnsFalseAtOnce) {
    Component& c = make();
    for (int timeout : {2000, 0}) {
        std::vector<Variant> a{I(timeout), I(0), S("")};
        auto t0 = std::chrono::steady_clock::now();
        step("Принять(" + std::to_string(timeout) + ") before Запустить");
        auto r = c.call("Принять", a);
        EXPECT_TRUE(r.ok) << r.describe();
        EXPECT_FALSE(r.ret.boolean());
        EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
    }
}

// ws-echo-host relies on this: Принять(0) blocked in one thread returns False when another
// thread calls Остановить.
TEST_F(ServerApi, ReceiveZeroReturnsWhenStoppedFromAnotherThread) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    std::atomic<bool> done{false};
    CallResult r;
    std::thread t([&] {
        std::vector<Variant> a{I(0), I(0), S("")};
        r = c.call("Принять", a);
        done = true;
    });
    std::this_thread::sleep_for(300ms);
    EXPECT_FALSE(done) << "Принять(0) returned without a message";
    step("Остановить() while another thread is in Принять(0)");
    auto st = c.call("Остановить");
    EXPECT_TRUE(st.ok);
    bool returned = waitUntil([&] { return done.load(); }, 5s);
    if (!returned) {
        std::fprintf(stderr, "FAIL: Принять(0) still blocked 5 s after Остановить; aborting the test process\n");
        std::_Exit(4);
    }
    t.join();
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_FALSE(r.ret.boolean());
}

// ---- errors, in both languages ---------------------------------------------------------------------
struct Lang {
    std::string code;
    bool ru() const { return code == "ru"; }
};

class ServerErrors : public AddinTest, public ::testing::WithParamInterface<std::string> {
protected:
    bool ru() const { return GetParam() == "ru"; }
    // The failed call: returned false, one AddError 1006 with a non-zero scode, the text in the
    // expected language and equal to ErrorDescription().
    void expectFailure(Component& c, const CallResult& r, const std::string& what) {
        EXPECT_TRUE(r.called) << what;
        EXPECT_FALSE(r.ok) << what << ": the method should fail (return false): " << r.describe();
        ASSERT_FALSE(r.errors.empty()) << what << ": no AddError: " << r.describe();
        const auto& e = r.errors.back();
        EXPECT_EQ(e.code, 1006) << what << ": " << r.describe();
        EXPECT_NE(e.scode, 0) << what << ": scode";
        EXPECT_FALSE(e.descr.empty()) << what;
        std::string text = e.descr;  // the language check ignores the file names quoted in it
        for (auto& ign : ignore_)
            for (size_t at; (at = text.find(ign)) != std::string::npos;) text.erase(at, ign.size());
        if (ru()) {
            EXPECT_TRUE(hasCyrillic(text)) << what << ": expected Russian, got \"" << e.descr << "\"";
        } else {
            EXPECT_FALSE(hasCyrillic(text)) << what << ": expected English, got \"" << e.descr << "\"";
        }
        EXPECT_EQ(c.errorDescription(), e.descr) << what << ": ОписаниеОшибки() should return the last error";
    }
    std::vector<std::string> ignore_;
};

TEST_P(ServerErrors, BusyPort) {
    Component& c = make(GetParam());
    Server s(c);
    Listener busy("127.0.0.1", 0);
    ASSERT_TRUE(busy.ok());
    auto r = s.run("127.0.0.1", busy.port());
    expectFailure(c, r, "Run on a busy port");
    const std::string p = std::to_string(busy.port());
    const std::string want = ru() ? "Порт " + p + " уже занят" : "Port " + p + " is already in use";
    EXPECT_TRUE(r.hasError(want)) << "expected \"" << want << "\", got: " << r.errorText();
    EXPECT_EQ(s.port(), 0) << "nothing bound";
    EXPECT_EQ(s.server(), "");

    // Busy because another server object of ours holds it.
    Component& c2 = make(GetParam());
    Server s2(c2);
    ASSERT_TRUE(s2.run("127.0.0.1", 0).isTrue());
    const std::string p2 = std::to_string(s2.port());
    r = s.run("127.0.0.1", int(s2.port()));
    expectFailure(c, r, "Run on a port another server holds");
    EXPECT_TRUE(r.hasError(ru() ? "Порт " + p2 + " уже занят" : "Port " + p2 + " is already in use")) << r.errorText();
    // A successful call leaves ErrorDescription alone.
    auto ok = s.run("127.0.0.1", 0);
    EXPECT_TRUE(ok.isTrue()) << ok.describe();
    EXPECT_EQ(c.errorDescription(), r.errors.back().descr) << "a successful call must not reset ErrorDescription";
    s.stop();
    s2.stop();
}

TEST_P(ServerErrors, BadAddress) {
    Component& c = make(GetParam());
    Server s(c);
    for (const char* addr : {"999.1.1.1", "1.2.3.4", "127.0.0.1.5"}) {
        auto r = s.run(addr, 0);
        expectFailure(c, r, std::string("Run(\"") + addr + "\")");
        EXPECT_NE(r.errorText().find(addr), std::string::npos)
            << "the text should name the address " << addr << ": " << r.errorText();
        EXPECT_EQ(s.port(), 0);
    }
}

TEST_P(ServerErrors, AlreadyRunning) {
    Component& c = make(GetParam());
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    long port = s.port();
    auto r = s.run("127.0.0.1", 0);
    expectFailure(c, r, "Run twice");
    EXPECT_TRUE(r.hasError(ru() ? "уже запущен" : "already running")) << r.errorText();
    EXPECT_EQ(s.port(), port) << "the first Run keeps serving";
    EXPECT_FALSE(canBind("127.0.0.1", int(port)));
    s.stop();
}

TEST_P(ServerErrors, BadCertificatePathBindsNothing) {
    Component& c = make(GetParam());
    Server s(c);
    int port = freePort();
    const std::string cert = "/nonexistent/dir/сертификат.pem", key = "/nonexistent/dir/key.pem";
    ignore_.push_back(cert);
    auto r = s.run("127.0.0.1", port, cert, key, "");
    expectFailure(c, r, "Run with a missing certificate");
    EXPECT_NE(r.errorText().find(cert), std::string::npos) << "the text should name " << cert << ": " << r.errorText();
    EXPECT_EQ(s.port(), 0);
    EXPECT_TRUE(canBind("127.0.0.1", port)) << "a failed Run must bind nothing";

    // A certificate that exists, a key that does not.
    TempDir t;
    TestCerts certs = makeTestCerts(t.path());
    ASSERT_TRUE(certs.ok) << certs.log;
    r = s.run("127.0.0.1", port, certs.serverCert, t.file("missing.key"), "");
    expectFailure(c, r, "Run with a missing key");
    EXPECT_NE(r.errorText().find(t.file("missing.key")), std::string::npos) << r.errorText();
    EXPECT_TRUE(canBind("127.0.0.1", port));

    // A file that is not a certificate.
    writeFile(t.file("garbage.pem"), "this is not a certificate\n");
    r = s.run("127.0.0.1", port, t.file("garbage.pem"), "", "");
    expectFailure(c, r, "Run with a garbage certificate");
    EXPECT_NE(r.errorText().find(t.file("garbage.pem")), std::string::npos) << r.errorText();
    EXPECT_TRUE(canBind("127.0.0.1", port));
}

TEST_P(ServerErrors, WrongPassword) {
    Component& c = make(GetParam());
    Server s(c);
    TempDir t;
    TestCerts certs = makeTestCerts(t.path());
    ASSERT_TRUE(certs.ok) << certs.log;
    int port = freePort();
    auto r = s.run("127.0.0.1", port, certs.serverCert, certs.serverKeyEnc, "wrong-password");
    expectFailure(c, r, "encrypted PEM key, wrong password");
    EXPECT_TRUE(canBind("127.0.0.1", port));
    r = s.run("127.0.0.1", port, certs.serverCert, certs.serverKeyEnc, "");
    expectFailure(c, r, "encrypted PEM key, no password");
    r = s.run("127.0.0.1", port, certs.pfx, "", "wrong-password");
    expectFailure(c, r, "PFX, wrong password");
    EXPECT_TRUE(canBind("127.0.0.1", port));
    EXPECT_EQ(s.port(), 0);
}

// docs/api.*.md: the legacy "Proc-Type: 4,ENCRYPTED" PEM key is refused with the command that converts it.
TEST_P(ServerErrors, LegacyEncryptedKeyExplainsTheFix) {
    Component& c = make(GetParam());
    Server s(c);
    TempDir t;
    TestCerts certs = makeTestCerts(t.path());
    ASSERT_TRUE(certs.ok) << certs.log;
    const std::string legacy = t.file("legacy.key");
    std::string out;
    // OpenSSL 3 needs -traditional for the legacy format; 1.1 (Debian 11) writes it by default and lacks the flag.
    if (runCommand({"openssl", "rsa", "-in", certs.serverKey, "-aes256", "-traditional", "-passout",
                    "pass:" + certs.password, "-out", legacy}, &out) != 0) {
        ASSERT_EQ(runCommand({"openssl", "rsa", "-in", certs.serverKey, "-aes256", "-passout",
                              "pass:" + certs.password, "-out", legacy}, &out), 0) << out;
    }
    ASSERT_NE(readFile(legacy).find("Proc-Type: 4,ENCRYPTED"), std::string::npos);
    auto r = s.run("127.0.0.1", 0, certs.serverCert, legacy, certs.password);
    expectFailure(c, r, "legacy encrypted PEM key");
    EXPECT_NE(r.errorText().find("pkcs8"), std::string::npos) << r.errorText();
}

TEST_P(ServerErrors, BadCastNamesTheParameter) {
    Component& c = make(GetParam());
    auto r = c.call("Запустить", {S("127.0.0.1"), S("8080")});
    expectFailure(c, r, "Run with the port as a string");
    const std::string want = ru() ? "<bad cast>: параметр 2 (Порт) ожидается Число, передано Строка"
                                  : "<bad cast>: parameter 2 (Port) expects Number, got String";
    EXPECT_TRUE(r.hasError(want)) << "expected \"" << want << "\", got: " << r.errorText();

    const std::string param = ru() ? "параметр " : "parameter ";
    struct Case {
        std::string method;
        std::vector<Variant> args;
        int badParam;
    };
    std::vector<Case> cases;
    cases.push_back({"Запустить", {I(1), I(0)}, 1});
    cases.push_back({"Запустить", {S("127.0.0.1"), B(true)}, 2});
    cases.push_back({"Запустить", {S("127.0.0.1"), I(0), I(5), S(""), S("")}, 3});
    cases.push_back({"Запустить", {S("127.0.0.1"), I(0), S(""), BLOB({1}), S("")}, 4});
    cases.push_back({"Запустить", {S("127.0.0.1"), I(0), S(""), S(""), I(7)}, 5});
    cases.push_back({"Принять", {S("100"), I(0), S("")}, 1});
    cases.push_back({"Отправить", {S("1"), S("x")}, 1});
    cases.push_back({"Отправить", {I(1), I(5)}, 2});
    cases.push_back({"Отправить", {I(1), B(false)}, 2});
    cases.push_back({"Отключить", {S("1")}, 1});
    for (auto& cs : cases) {
        std::string what = cs.method + " with a wrong parameter " + std::to_string(cs.badParam);
        auto rr = c.call(cs.method, cs.args);
        expectFailure(c, rr, what);
        EXPECT_TRUE(rr.hasError("<bad cast>")) << what << ": " << rr.errorText();
        EXPECT_TRUE(rr.hasError(param + std::to_string(cs.badParam))) << what << ": " << rr.errorText();
    }
}

INSTANTIATE_TEST_SUITE_P(Lang, ServerErrors, ::testing::Values("ru", "en"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

TEST_F(ServerApi, NoLocaleMeansEnglish) {
    Component::Options o;
    o.locale = "";
    o.language = "";
    Component& c = make(o);
    Listener busy;
    auto r = Server(c).run("127.0.0.1", busy.port());
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(r.hasError("Port " + std::to_string(busy.port()) + " is already in use")) << r.errorText();
}

TEST_F(ServerApi, WrongArgumentCountsNeverCrash) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    for (long m = 0; m < c.nMethods(); ++m) {
        const std::string name = c.methodName(m, 0);
        long n = c.nParams(m);
        for (long count = 0; count <= n + 2; ++count) {
            if (count == n) continue;
            for (bool asFunc : {true, false}) {
                // Numbers everywhere: a Receive that accepted it would wait 50 ms at most.
                std::vector<Variant> args;
                for (long i = 0; i < count; ++i) args.push_back(I(50));
                step(name + " with " + std::to_string(count) + " arguments");
                auto r = c.callRaw(m, args, asFunc);
                if (!r.ok) {
                    EXPECT_FALSE(r.errors.empty()) << name << "(" << count << " args) failed silently";
                }
            }
        }
        step(name + " with a null array");
        auto r = c.callRawCount(m, nullptr, 0, true);
        (void)r;
    }
    // Still alive and working (wrong-count calls of Stop may well have stopped it).
    s.stop();
    auto again = s.run("127.0.0.1", 0);
    EXPECT_TRUE(again.isTrue()) << again.describe();
    EXPECT_GT(s.port(), 0);
    s.stop();
}

TEST_F(ServerApi, PlatformVariants) {
    // Init before setMemManager, no GetInterface support, a client application, no GetInfo or
    // RegisterExtensionAs: hosts differ, the add-in must not care.
    Component::Options o;
    o.memManagerFirst = false;
    o.provideInterfaces = false;
    o.callGetInfo = false;
    o.callRegisterExtensionAs = false;
    o.application = IPlatformInfo::eAppThinClient;
    o.attached = IAttachedInfo::eAttachedIsolated;
    Component& c = make(o);
    Server s(c);
    auto r = s.run("127.0.0.1", 0);
    EXPECT_TRUE(r.isTrue()) << r.describe();
    EXPECT_GT(s.port(), 0);
    s.stop();
}

TEST_F(ServerApi, DestroyWithoutDoneOrStopReleasesThePort) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    int port = int(s.port());
    destroyAll();  // Done + DestroyObject while running
    EXPECT_TRUE(waitUntil([&] { return canBind("127.0.0.1", port); }, 3s)) << "port " << port << " still bound";
}

// ===================================================================================================
// With real peers.
// ===================================================================================================
class ServerPeers : public PeerTest {};

TEST_P(ServerPeers, CyrillicAndEmojiTextBothWays) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto p = connect(wsUrl(int(s.port())));
    ASSERT_TRUE(p);
    ASSERT_TRUE(p->sendText(kHello));
    auto m = s.receive(15000);
    ASSERT_TRUE(m) << p->diagnostics();
    EXPECT_FALSE(m->binary);
    EXPECT_EQ(m->text, kHello);
    EXPECT_EQ(m->wide, toUtf16(kHello)) << "UTF-16 units as 1C sees them";
    EXPECT_EQ(m->id, 1) << "the first connection of a Run is 1";

    ASSERT_TRUE(s.sendText(m->id, kHello));
    auto e = p->waitFor("message", 15s);
    ASSERT_TRUE(e) << p->diagnostics();
    EXPECT_EQ((*e)["type"], "text");
    EXPECT_EQ((*e)["data"], kHello);
    EXPECT_EQ((*e)["length"], kHello.size());

    // The empty string both ways.
    ASSERT_TRUE(p->sendText(""));
    m = s.receive(15000);
    ASSERT_TRUE(m);
    EXPECT_FALSE(m->binary);
    EXPECT_EQ(m->text, "");
    ASSERT_TRUE(s.sendText(m->id, ""));
    e = p->waitFor("message", 15s);
    ASSERT_TRUE(e);
    EXPECT_EQ((*e)["type"], "text");
    EXPECT_EQ((*e)["length"], 0);
}

TEST_P(ServerPeers, BinaryBothWays) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto p = connect(wsUrl(int(s.port())));
    ASSERT_TRUE(p);
    std::vector<uint8_t> bytes;
    for (int i = 0; i < 256; ++i) bytes.push_back(uint8_t(i));
    bytes.insert(bytes.end(), {0, 0, 0xFF, 0xFE, 0xD0, 0x9F});
    ASSERT_TRUE(p->sendBinary(bytes));
    auto m = s.receive(15000);
    ASSERT_TRUE(m) << p->diagnostics();
    EXPECT_TRUE(m->binary) << "binary frames arrive as ДвоичныеДанные (BLOB)";
    EXPECT_EQ(m->bytes, bytes);

    ASSERT_TRUE(s.sendBinary(m->id, bytes));
    auto e = p->waitFor("message", 15s);
    ASSERT_TRUE(e) << p->diagnostics();
    EXPECT_EQ((*e)["type"], "binary");
    EXPECT_EQ(base64Decode((*e)["data"].get<std::string>()), bytes);
}

TEST_P(ServerPeers, TenMegabytesBothWays) {
    const size_t n = 10 * 1024 * 1024;
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto p = connect(wsUrl(int(s.port())));
    ASSERT_TRUE(p);
    const std::string text = generatedText(n);
    const std::vector<uint8_t> bin = generatedBinary(n);
    const std::string textSha = sha256Hex(text), binSha = sha256Hex(bin);

    ASSERT_TRUE(p->sendGenerated("text", n));
    auto m = s.receive(60000);
    ASSERT_TRUE(m) << p->diagnostics();
    EXPECT_FALSE(m->binary);
    EXPECT_EQ(m->text.size(), n);
    EXPECT_EQ(sha256Hex(m->text), textSha);

    ASSERT_TRUE(p->sendGenerated("binary", n));
    m = s.receive(60000);
    ASSERT_TRUE(m) << p->diagnostics();
    EXPECT_TRUE(m->binary);
    EXPECT_EQ(m->bytes.size(), n);
    EXPECT_EQ(sha256Hex(m->bytes), binSha);

    ASSERT_TRUE(s.sendText(m->id, text));
    auto e = p->waitFor("message", 60s);
    ASSERT_TRUE(e) << p->diagnostics();
    EXPECT_EQ((*e)["type"], "text");
    EXPECT_EQ((*e)["length"], n);
    EXPECT_EQ((*e)["sha256"], textSha);

    ASSERT_TRUE(s.sendBinary(m->id, bin));
    e = p->waitFor("message", 60s);
    ASSERT_TRUE(e) << p->diagnostics();
    EXPECT_EQ((*e)["type"], "binary");
    EXPECT_EQ((*e)["length"], n);
    EXPECT_EQ((*e)["sha256"], binSha);
}

TEST_P(ServerPeers, FiftyClientsThousandMessagesEachExactlyOnceInOrder) {
    const int clients = 50, perClient = 1000;
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    const std::string url = wsUrl(int(s.port()));
    std::vector<std::unique_ptr<Peer>> peers;
    for (int k = 0; k < clients; ++k) {
        PeerOptions o;
        o.url = url;
        step("spawning peer " + std::to_string(k));
        peers.push_back(std::make_unique<Peer>(kind(), o));
    }
    for (int k = 0; k < clients; ++k) {
        step("waiting for peer " + std::to_string(k) + " to open");
        ASSERT_TRUE(peers[k]->waitOpen(60s)) << "peer " << k << ": " << peers[k]->diagnostics();
    }
    for (int k = 0; k < clients; ++k) ASSERT_TRUE(peers[k]->sendMany("c" + std::to_string(k) + ":", perClient));

    std::map<long, int> idToClient;
    std::vector<int> next(clients, 0);
    std::set<long> ids;
    long total = 0, problems = 0;
    auto deadline = std::chrono::steady_clock::now() + 120s;
    while (total < long(clients) * perClient && std::chrono::steady_clock::now() < deadline) {
        auto m = s.receive(5000);
        if (!m) continue;
        ++total;
        auto colon = m->text.find(':');
        if (m->binary || m->text.size() < 3 || m->text[0] != 'c' || colon == std::string::npos) {
            if (problems++ < 10) ADD_FAILURE() << "unexpected message \"" << m->text << "\" from " << m->id;
            continue;
        }
        int k = std::stoi(m->text.substr(1, colon - 1));
        int i = std::stoi(m->text.substr(colon + 1));
        auto [it, fresh] = idToClient.emplace(m->id, k);
        if (!fresh && it->second != k) {
            if (problems++ < 10) ADD_FAILURE() << "id " << m->id << " carries messages of clients " << it->second << " and " << k;
            continue;
        }
        if (k < 0 || k >= clients) continue;
        if (i != next[k]) {
            if (problems++ < 10) ADD_FAILURE() << "client " << k << ": expected message " << next[k] << ", got " << i
                                               << " (lost, duplicated or out of order)";
        }
        next[k] = i + 1;
        ids.insert(m->id);
    }
    EXPECT_EQ(total, long(clients) * perClient);
    EXPECT_EQ(problems, 0);
    EXPECT_EQ(ids.size(), size_t(clients)) << "one id per connection";
    for (int k = 0; k < clients; ++k) EXPECT_EQ(next[k], perClient) << "client " << k;
    if (!ids.empty()) {
        EXPECT_EQ(*ids.begin(), 1);
        EXPECT_EQ(*ids.rbegin(), clients) << "ids 1.." << clients;
    }
    step("Принять after everything");
    EXPECT_FALSE(s.receive(300)) << "a message delivered twice";
    bool ok = false;
    auto conns = parseConnections(s.connections(), &ok);
    EXPECT_TRUE(ok);
    EXPECT_EQ(conns.size(), size_t(clients));
    s.stop();
}

TEST_P(ServerPeers, ServerToClientOrderIsKept) {
    const int count = 2000;
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto p = connect(wsUrl(int(s.port())));
    ASSERT_TRUE(p);
    long id = hello(s, *p, "hi");
    ASSERT_GT(id, 0);
    for (int i = 0; i < count; ++i) ASSERT_TRUE(s.sendText(id, "s:" + std::to_string(i))) << i;
    for (int i = 0; i < count; ++i) {
        auto e = p->waitFor("message", 30s);
        ASSERT_TRUE(e) << "message " << i << ": " << p->diagnostics();
        ASSERT_EQ((*e)["data"], "s:" + std::to_string(i));
    }
}

TEST_P(ServerPeers, ConnectionsFormatAndIdsWhileClientsComeAndGo) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    const std::string url = wsUrl(int(s.port()));
    auto p1 = connect(url);
    ASSERT_TRUE(p1);
    long id1 = hello(s, *p1, "one");
    auto p2 = connect(url);
    ASSERT_TRUE(p2);
    long id2 = hello(s, *p2, "two");
    EXPECT_EQ(id1, 1);
    EXPECT_EQ(id2, 2);

    bool ok = false;
    std::string why;
    std::string conns = s.connections();
    auto list = parseConnections(conns, &ok, &why);
    EXPECT_TRUE(ok) << "Соединения = \"" << conns << "\": " << why;
    ASSERT_EQ(list.size(), 2u) << conns;
    std::set<long> ids{list[0].id, list[1].id};
    EXPECT_EQ(ids, (std::set<long>{1, 2})) << conns;
    for (auto& e : list) EXPECT_EQ(e.address.rfind("127.0.0.1:", 0), 0u) << conns;

    // p1 leaves: its entry goes.
    ASSERT_TRUE(p1->close(1000, "bye"));
    ASSERT_TRUE(p1->waitClosed(15s)) << p1->diagnostics();
    EXPECT_TRUE(waitUntil([&] { return s.connections().rfind("2:127.0.0.1:", 0) == 0 && s.connections().find('|') == std::string::npos; }, 5s))
        << "Соединения = \"" << s.connections() << "\"";

    // A newcomer gets a new id, never 1 again.
    auto p3 = connect(url);
    ASSERT_TRUE(p3);
    long id3 = hello(s, *p3, "three");
    EXPECT_EQ(id3, 3) << "ids are never reused";
    conns = s.connections();
    list = parseConnections(conns, &ok, &why);
    EXPECT_TRUE(ok) << conns << ": " << why;
    ids.clear();
    for (auto& e : list) ids.insert(e.id);
    EXPECT_EQ(ids, (std::set<long>{2, 3})) << conns;

    // An abrupt drop is noticed too.
    ASSERT_TRUE(p2->drop());
    EXPECT_TRUE(waitUntil([&] { return s.connections().rfind("3:", 0) == 0 && s.connections().find('|') == std::string::npos; }, 10s))
        << "Соединения = \"" << s.connections() << "\" after client 2 dropped its TCP connection";
    ASSERT_TRUE(p3->close(1000, ""));
    EXPECT_TRUE(waitUntil([&] { return s.connections().empty(); }, 10s)) << s.connections();
}

// The contract says both "starting at 1 for each Run" and "never reused while the object lives";
// docs/api.*.md settle it: ids start at 1 for the object and go on counting after Stop and Run.
TEST_P(ServerPeers, IdsAreNeverReusedAcrossRuns) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto p1 = connect(wsUrl(int(s.port())));
    ASSERT_TRUE(p1);
    long first = hello(s, *p1, "a");
    EXPECT_EQ(first, 1) << "the first connection of a new object is 1";
    s.stop();
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto p2 = connect(wsUrl(int(s.port())));
    ASSERT_TRUE(p2);
    long second = hello(s, *p2, "b");
    EXPECT_GT(second, first) << "an id from the previous Run must not be given again";
}

TEST_P(ServerPeers, DisconnectClosesWith1000AndKeepsWhatWasSent) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto p = connect(wsUrl(int(s.port())));
    ASSERT_TRUE(p);
    long id = hello(s, *p, "hello");
    ASSERT_GT(id, 0);
    ASSERT_TRUE(p->sendText("before-1"));
    ASSERT_TRUE(p->sendText("before-2"));
    ASSERT_TRUE(p->waitFor("sent", 10s));
    ASSERT_TRUE(p->waitFor("sent", 10s));
    std::this_thread::sleep_for(300ms);  // let them reach the server
    auto r = s.disconnect(id);
    EXPECT_TRUE(r.isTrue()) << r.describe();
    auto e = p->waitClosed(15s);
    ASSERT_TRUE(e) << p->diagnostics();
    EXPECT_EQ((*e)["code"], 1000);
    auto m1 = s.receive(5000);
    auto m2 = s.receive(5000);
    ASSERT_TRUE(m1 && m2) << "what the client sent before Отключить stays available";
    EXPECT_EQ(m1->text, "before-1");
    EXPECT_EQ(m2->text, "before-2");
    EXPECT_EQ(m1->id, id);
    r = s.disconnect(id);
    EXPECT_TRUE(r.ok) << "Отключить of a closed connection raises nothing: " << r.describe();
    EXPECT_FALSE(r.ret.boolean());
    r = s.disconnect(12345);
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_FALSE(r.ret.boolean());
    EXPECT_TRUE(waitUntil([&] { return s.connections().empty(); }, 5s)) << s.connections();
}

TEST_P(ServerPeers, StopClosesWith1001KeepsReceivedMessagesAndFreesThePort) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    int port = int(s.port());
    std::vector<std::unique_ptr<Peer>> peers;
    std::vector<long> ids;
    for (int k = 0; k < 3; ++k) {
        peers.push_back(connect(wsUrl(port)));
        ASSERT_TRUE(peers.back());
        ids.push_back(hello(s, *peers.back(), "p" + std::to_string(k)));
    }
    ASSERT_TRUE(peers[0]->sendText("kept-1"));
    ASSERT_TRUE(peers[1]->sendText("kept-2"));
    ASSERT_TRUE(peers[0]->waitFor("sent", 10s));
    ASSERT_TRUE(peers[1]->waitFor("sent", 10s));
    std::this_thread::sleep_for(300ms);
    auto r = s.stop();
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_TRUE(r.errors.empty()) << r.describe();
    for (int k = 0; k < 3; ++k) {
        auto e = peers[k]->waitClosed(15s);
        ASSERT_TRUE(e) << "peer " << k << ": " << peers[k]->diagnostics();
        EXPECT_EQ((*e)["code"], 1001) << "peer " << k;
    }
    EXPECT_TRUE(canBind("127.0.0.1", port)) << "the port is released at once";
    EXPECT_EQ(s.port(), 0);
    EXPECT_EQ(s.server(), "");
    EXPECT_EQ(s.connections(), "");
    std::set<std::string> got;
    for (int i = 0; i < 2; ++i) {
        auto m = s.receive(1000);
        ASSERT_TRUE(m) << "messages received before Остановить stay available";
        got.insert(m->text);
    }
    EXPECT_EQ(got, (std::set<std::string>{"kept-1", "kept-2"}));
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(s.receive(5000));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms) << "then Принять returns False at once";
}

TEST_P(ServerPeers, StopThenRunOnTheSamePort) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    int port = int(s.port());
    auto p1 = connect(wsUrl(port));
    ASSERT_TRUE(p1);
    ASSERT_GT(hello(s, *p1, "first run"), 0);
    ASSERT_TRUE(s.stop().ok);
    auto r = s.run("127.0.0.1", port);
    ASSERT_TRUE(r.isTrue()) << "Run on the same port right after Stop: " << r.describe();
    EXPECT_EQ(s.port(), port);
    auto p2 = connect(wsUrl(port));
    ASSERT_TRUE(p2);
    long id = hello(s, *p2, "second run");
    ASSERT_TRUE(s.sendText(id, "ok"));
    auto e = p2->waitFor("message", 10s);
    ASSERT_TRUE(e);
    EXPECT_EQ((*e)["data"], "ok");
}

TEST_P(ServerPeers, IPv6Loopback) {
    Component& c = make();
    Server s(c);
    auto r = s.run("::1", 0);
    ASSERT_TRUE(r.isTrue()) << r.describe();
    EXPECT_EQ(s.server(), "::1");
    auto p = connect(wsUrl(int(s.port()), "::1"));
    ASSERT_TRUE(p);
    long id = hello(s, *p, kHello);
    bool ok = false;
    std::string conns = s.connections();
    auto list = parseConnections(conns, &ok);
    EXPECT_TRUE(ok) << conns;
    ASSERT_EQ(list.size(), 1u) << conns;
    EXPECT_EQ(list[0].id, id);
    EXPECT_EQ(list[0].address.rfind("[::1]:", 0), 0u) << "IPv6 addresses in brackets: " << conns;
    ASSERT_TRUE(s.sendText(id, "v6"));
    auto e = p->waitFor("message", 10s);
    ASSERT_TRUE(e);
    EXPECT_EQ((*e)["data"], "v6");
}

TEST_P(ServerPeers, LocalhostAndAllInterfaces) {
    for (const char* iface : {"localhost", "", "0.0.0.0"}) {
        Component& c = make();
        Server s(c);
        auto r = s.run(iface, 0);
        ASSERT_TRUE(r.isTrue()) << "Run(\"" << iface << "\"): " << r.describe();
        auto p = connect(wsUrl(int(s.port())));
        ASSERT_TRUE(p) << iface;
        EXPECT_GT(hello(s, *p, iface), 0) << iface;
        s.stop();
    }
}

TEST_P(ServerPeers, SendToAGoneClientReturnsFalseWithoutException) {
    Component& c = make("ru");
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto p = connect(wsUrl(int(s.port())));
    ASSERT_TRUE(p);
    long id = hello(s, *p, "bye soon");
    ASSERT_TRUE(p->close(1000, "bye"));
    ASSERT_TRUE(p->waitClosed(15s));
    ASSERT_TRUE(waitUntil([&] { return s.connections().empty(); }, 5s)) << s.connections();
    auto r = s.send(id, S("anyone?"));
    EXPECT_TRUE(r.ok) << "no exception: " << r.describe();
    EXPECT_TRUE(r.errors.empty()) << r.describe();
    EXPECT_FALSE(r.ret.boolean());
    std::string d = s.errorDescription();
    EXPECT_NE(d.find(std::to_string(id)), std::string::npos) << "ОписаниеОшибки() should name client " << id << ": \"" << d << "\"";
    r = s.send(777, S("never existed"));
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_FALSE(r.ret.boolean());
    EXPECT_NE(s.errorDescription().find("777"), std::string::npos) << s.errorDescription();
}

TEST_P(ServerPeers, FunctionCalledAsAStatementStillWritesBack) {
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    auto p = connect(wsUrl(int(s.port())));
    ASSERT_TRUE(p);
    ASSERT_TRUE(p->sendText(kHello));
    std::vector<Variant> a{I(15000), I(0), S("old value")};
    step("Принять through CallAsProc");
    auto r = c.callAsProc("Принять", a);
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_EQ(a[1].integer(), 1);
    EXPECT_EQ(a[2].str(), kHello);
    // Отправить as a statement too.
    std::vector<Variant> b{I(1), S("as statement")};
    r = c.callAsProc("Отправить", b);
    EXPECT_TRUE(r.ok) << r.describe();
    auto e = p->waitFor("message", 10s);
    ASSERT_TRUE(e);
    EXPECT_EQ((*e)["data"], "as statement");
}

TEST_P(ServerPeers, EnglishNamesWork) {
    Component& c = make();
    auto r = c.call("run", {S("127.0.0.1"), I(0)});
    ASSERT_TRUE(r.isTrue()) << r.describe();
    int port = int(c.get("port").integer());
    auto p = connect(wsUrl(port));
    ASSERT_TRUE(p);
    ASSERT_TRUE(p->sendText("english"));
    std::vector<Variant> a{I(15000), I(0), S("")};
    r = c.call("RECEIVE", a);
    ASSERT_TRUE(r.isTrue()) << r.describe();
    EXPECT_EQ(a[2].str(), "english");
    r = c.call("Send", {a[1], S("back")});
    EXPECT_TRUE(r.isTrue()) << r.describe();
    auto e = p->waitFor("message", 10s);
    ASSERT_TRUE(e);
    EXPECT_EQ((*e)["data"], "back");
    EXPECT_NE(c.get("CONNECTIONS").str(), "");
    EXPECT_EQ(c.get("server").str(), "127.0.0.1");
    r = c.call("disconnect", {a[1]});
    EXPECT_TRUE(r.isTrue()) << r.describe();
    r = c.call("STOP");
    EXPECT_TRUE(r.ok);
}

TEST_P(ServerPeers, DestroyedWhileClientsAreSending) {
    const int baselineSockets = lib().socketCount();
    Component& c = make();
    Server s(c);
    ASSERT_TRUE(s.run("127.0.0.1", 0).isTrue());
    int port = int(s.port());
    std::vector<std::unique_ptr<Peer>> peers;
    for (int k = 0; k < 5; ++k) {
        peers.push_back(connect(wsUrl(port)));
        ASSERT_TRUE(peers.back());
        ASSERT_TRUE(peers.back()->sendMany("d" + std::to_string(k) + ":", 2000000));
    }
    for (int i = 0; i < 200; ++i) {
        auto m = s.receive(10000);
        ASSERT_TRUE(m) << "message " << i;
    }
    step("Done + DestroyObject while 5 clients are sending");
    destroyAll();
    for (int k = 0; k < 5; ++k) {
        step("waiting for peer " + std::to_string(k) + " to see the end");
        auto e = peers[k]->waitForAny({"close", "error"}, 20s);
        EXPECT_TRUE(e || peers[k]->ended()) << "peer " << k << " never learnt the server went away: "
                                            << peers[k]->diagnostics();
    }
    EXPECT_TRUE(waitUntil([&] { return lib().socketCount() <= baselineSockets; }, 10s))
        << "sockets still open in " << lib().where() << ": " << lib().socketCount() << " (before: " << baselineSockets << ")";
    EXPECT_TRUE(waitUntil([&] { return canBind("127.0.0.1", port); }, 5s)) << "port " << port << " still bound";
}

TEST_P(ServerPeers, ManyObjectsInOneProcess) {
    // Two servers side by side, each with its own ids and queue.
    Component& c1 = make();
    Component& c2 = make("ru");
    Server s1(c1), s2(c2);
    ASSERT_TRUE(s1.run("127.0.0.1", 0).isTrue());
    ASSERT_TRUE(s2.run("127.0.0.1", 0).isTrue());
    auto p1 = connect(wsUrl(int(s1.port())));
    auto p2 = connect(wsUrl(int(s2.port())));
    ASSERT_TRUE(p1 && p2);
    EXPECT_EQ(hello(s1, *p1, "to one"), 1);
    EXPECT_EQ(hello(s2, *p2, "to two"), 1);
    EXPECT_FALSE(s1.receive(200));
    EXPECT_FALSE(s2.receive(200));
}

INSTANTIATE_TEST_SUITE_P(Peers, ServerPeers, ::testing::ValuesIn(allPeerKinds()), peerName);

// ===================================================================================================
// wss:// with every certificate form.
// ===================================================================================================
enum class CertForm { PemCertAndKey, EncryptedKey, Pfx, ChainFile, CombinedPem };
const char* formName(CertForm f) {
    switch (f) {
        case CertForm::PemCertAndKey: return "PemCertAndKey";
        case CertForm::EncryptedKey: return "EncryptedPemKey";
        case CertForm::Pfx: return "Pfx";
        case CertForm::ChainFile: return "ChainFile";
        case CertForm::CombinedPem: return "CertAndKeyInOneFile";
    }
    return "?";
}

class ServerTls : public AddinTest, public ::testing::WithParamInterface<std::tuple<PeerKind, CertForm>> {
protected:
    void SetUp() override {
        AddinTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        std::string why;
        if (!Peer::available(std::get<0>(GetParam()), &why)) GTEST_SKIP() << why;
    }
};

TEST_P(ServerTls, PeerVerifiesTheServerCertificate) {
    auto [kind, form] = GetParam();
    TempDir t;
    TestCerts certs = makeTestCerts(t.path());
    ASSERT_TRUE(certs.ok) << certs.log;
    std::string cert, key, pw;
    switch (form) {
        case CertForm::PemCertAndKey: cert = certs.serverCert; key = certs.serverKey; break;
        case CertForm::EncryptedKey: cert = certs.serverCert; key = certs.serverKeyEnc; pw = certs.password; break;
        case CertForm::Pfx: cert = certs.pfx; pw = certs.password; break;
        case CertForm::ChainFile: cert = certs.chain; key = certs.serverKey; break;
        case CertForm::CombinedPem: cert = certs.combined; break;
    }
    Component& c = make();
    Server s(c);
    auto r = s.run("127.0.0.1", 0, cert, key, pw);
    ASSERT_TRUE(r.isTrue()) << formName(form) << ": " << r.describe();
    const std::string url = wsUrl(int(s.port()), "127.0.0.1", true);

    PeerOptions o;
    o.url = url;
    o.ca = certs.caCert;
    step("TLS peer with --ca");
    Peer p(kind, o);
    ASSERT_TRUE(p.waitOpen(30s)) << p.diagnostics();
    ASSERT_TRUE(p.sendText(kHello));
    auto m = s.receive(15000);
    ASSERT_TRUE(m) << p.diagnostics();
    EXPECT_EQ(m->text, kHello);
    ASSERT_TRUE(s.sendText(m->id, "защищённый ответ"));
    auto e = p.waitFor("message", 15s);
    ASSERT_TRUE(e) << p.diagnostics();
    EXPECT_EQ((*e)["data"], "защищённый ответ");

    // Without the CA the server's certificate is not trusted: the peer must not connect.
    PeerOptions bad;
    bad.url = url;
    step("TLS peer without --ca");
    Peer q(kind, bad);
    EXPECT_FALSE(q.waitOpen(30s)) << "a peer without --ca connected: " << q.diagnostics();
    // The refused handshake did not disturb the server.
    ASSERT_TRUE(p.sendText("still here"));
    m = s.receive(15000);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->text, "still here");
}

INSTANTIATE_TEST_SUITE_P(
    Forms, ServerTls,
    ::testing::Combine(::testing::ValuesIn(allPeerKinds()),
                       ::testing::Values(CertForm::PemCertAndKey, CertForm::EncryptedKey, CertForm::Pfx,
                                         CertForm::ChainFile, CertForm::CombinedPem)),
    [](const ::testing::TestParamInfo<std::tuple<PeerKind, CertForm>>& i) {
        return std::string(formName(std::get<1>(i.param))) + "_" + peerKindName(std::get<0>(i.param));
    });

// ===================================================================================================
// The demo program.
// ===================================================================================================
class EchoDemo : public PeerTest {};

TEST_P(EchoDemo, EchoesAndStopsOnSigterm) {
    if (lib().remote()) GTEST_SKIP() << "ws-echo-host is a Linux program: it loads the .so, not the Windows library";
    std::vector<std::string> argv{WS_ECHO_HOST, "--zip", Library::defaultZipPath(), "127.0.0.1", "0"};
    Peer demo(argv, "ws-echo-host");
    auto line = demo.nextRawLine(30s);
    ASSERT_TRUE(line) << demo.diagnostics();
    ASSERT_EQ(line->rfind("ws://127.0.0.1:", 0), 0u) << *line;
    ASSERT_NE(line->find("/"), std::string::npos);
    int port = std::stoi(line->substr(std::string("ws://127.0.0.1:").size()));
    EXPECT_GT(port, 0);
    auto p = connect(*line);
    ASSERT_TRUE(p);
    ASSERT_TRUE(p->sendText(kHello));
    auto e = p->waitFor("message", 10s);
    ASSERT_TRUE(e) << demo.diagnostics();
    EXPECT_EQ((*e)["data"], kHello);
    std::vector<uint8_t> b{1, 2, 3, 0, 255};
    ASSERT_TRUE(p->sendBinary(b));
    e = p->waitFor("message", 10s);
    ASSERT_TRUE(e);
    EXPECT_EQ((*e)["type"], "binary");
    EXPECT_EQ(base64Decode((*e)["data"].get<std::string>()), b);
    ASSERT_TRUE(p->sendMany("m", 500));
    for (int i = 0; i < 500; ++i) {
        e = p->waitFor("message", 10s);
        ASSERT_TRUE(e) << i;
        ASSERT_EQ((*e)["data"], "m" + std::to_string(i));
    }
    ::kill(demo.pid(), SIGTERM);
    int rc = demo.waitExit(15s);
    EXPECT_EQ(rc, 0) << demo.diagnostics();
    // The demo checks its own memory manager and ABI rules and says so on stderr.
    EXPECT_TRUE(waitUntil([&] { return demo.ended(); }, 5s));
    const std::string err = demo.stderrText();
    EXPECT_NE(err.find(", 0 allocations still live"), std::string::npos) << err;
    EXPECT_EQ(err.find("ABI violation"), std::string::npos) << err;
    auto c = p->waitClosed(10s);
    ASSERT_TRUE(c) << p->diagnostics();
    EXPECT_EQ((*c)["code"], 1001);
}

INSTANTIATE_TEST_SUITE_P(Peers, EchoDemo, ::testing::Values(PeerKind::Python), peerName);

}  // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
