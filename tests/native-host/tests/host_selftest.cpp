// The harness tested on itself: ZIP reader, loader, memory manager, platform object,
// Component wrapper and Peer class, against a fake add-in and a fake peer.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "component.h"
#include "library.h"
#include "memory.h"
#include "peer.h"
#include "sha256.h"
#include "utf.h"
#include "util.h"
#include "zip.h"

using namespace host;
using namespace std::chrono_literals;

namespace {

class Fake : public ::testing::Test {
protected:
    void SetUp() override {
        // Under Wine (WEBSOCKET_WINE_HOST), the Windows build of the fake: WEBSOCKET_FAKE_ZIP.
        const char* zip = std::getenv("WEBSOCKET_FAKE_ZIP");
        lib_ = &Library::load(zip && *zip ? zip : FAKE_ZIP_DEFLATED);
        lib_->clearMemoryViolations();
        baseline_ = lib_->memory().live;
    }
    void TearDown() override {
        for (auto& c : comps_) {
            c->destroy();
            for (auto& v : c->abiViolations()) ADD_FAILURE() << "ABI violation: " << v;
        }
        comps_.clear();
        MemoryReport m = lib_->memory();
        EXPECT_EQ(m.live, baseline_) << "live allocations in " << lib_->where() << ":" << m.liveDescription;
    }
    Component& make(const std::string& lang = "en") {
        Component::Options o;
        o.language = lang;
        o.locale = lang == "ru" ? "ru_RU" : "en_US";
        comps_.push_back(std::make_unique<Component>(*lib_, o));
        return *comps_.back();
    }
    Library* lib_ = nullptr;
    long baseline_ = 0;
    std::vector<std::unique_ptr<Component>> comps_;
};

}  // namespace

TEST(Utf, RoundTrip) {
    const std::string s = "Привет, мир 🌍👋";
    std::u16string w = toUtf16(s);
    EXPECT_EQ(w.size(), 16u);  // 12 BMP characters + 2 surrogate pairs
    EXPECT_EQ(toUtf8(w), s);
    EXPECT_EQ(toUtf8(u"\xD800x"), "\xEF\xBF\xBDx");  // lone surrogate becomes U+FFFD
}

TEST(Sha256, KnownVectors) {
    EXPECT_EQ(sha256Hex(std::string("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256Hex(std::string("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    std::string million(1000000, 'a');
    EXPECT_EQ(sha256Hex(million), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Zip, ReadsStoredDeflatedEmptyUnicodeZip64) {
    ZipReader z(ZIP_SAMPLES);
    EXPECT_EQ(z.readText("stored.txt"), "stored content\n");
    std::string d;
    for (int i = 0; i < 1000; ++i) d += "deflated content ";
    EXPECT_EQ(z.readText("DEFLATED.TXT"), d) << "names match ignoring case";
    EXPECT_EQ(z.readText("empty.txt"), "");
    EXPECT_EQ(z.readText("empty-stored.txt"), "");
    EXPECT_EQ(z.readText("dir/Юникод.txt"), "привет");
    auto big = z.read(*z.find("big.bin"));
    EXPECT_EQ(big, generatedBinary(3 * 1024 * 1024));
    std::string z64;
    for (int i = 0; i < 100; ++i) z64 += "zip64 entry ";
    EXPECT_EQ(z.readText("zip64.bin"), z64);
    EXPECT_EQ(z.find("absent"), nullptr);
}

TEST(Zip, RejectsGarbage) {
    TempDir t;
    writeFile(t.file("bad.zip"), "this is not a zip file at all, no sir");
    EXPECT_THROW(ZipReader(t.file("bad.zip")), std::runtime_error);
    EXPECT_THROW(ZipReader(t.file("missing.zip")), std::runtime_error);
}

TEST(Manifest, Parses) {
    std::string bundle;
    auto c = parseManifest(R"(<?xml version="1.0" encoding="UTF-8"?>
<bundle xmlns="http://v8.1c.ru/8.2/addin/bundle" name="WebSocket">
  <component os="Windows" path="a.dll" type="native" arch="i386"/>
  <component arch='x86_64' os='Linux' path='b.so' type='native'/>
</bundle>)", &bundle);
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(bundle, "WebSocket");
    EXPECT_EQ(c[1].os, "Linux");
    EXPECT_EQ(c[1].path, "b.so");
    EXPECT_EQ(c[1].arch, "x86_64");
}

TEST(Loader, LoadsFromDeflatedAndStoredPackages) {
    for (const char* zip : {FAKE_ZIP_DEFLATED, FAKE_ZIP_STORED}) {
        Library& lib = Library::load(zip);
        EXPECT_EQ(lib.classNames, "Server|Client");
        EXPECT_EQ(lib.classes(), (std::vector<std::string>{"Server", "Client"}));
        EXPECT_EQ(lib.capabilitiesReturned, 3);
        EXPECT_EQ(lib.attachType, 3);
        EXPECT_EQ(lib.bundleName, "WebSocket");
        EXPECT_EQ(lib.componentPath, "WebSocket_x64.so");
        auto seen = reinterpret_cast<int (*)()>(lib.symbol("FakeCapabilitiesSeen"));
        ASSERT_NE(seen, nullptr);
        EXPECT_EQ(seen(), 3);
        EXPECT_EQ(&Library::load(zip), &lib) << "loaded once per process";
    }
}

TEST(Loader, MissingPackageIsAClearError) {
    try {
        Library::load("/nonexistent/WebSocket.zip");
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/WebSocket.zip"), std::string::npos);
    }
}

TEST(Memory, CountsAndDetectsMisuse) {
    auto& mm = MemoryManager::instance();
    mm.clearViolations();
    long live = mm.live();
    void* p = nullptr;
    ASSERT_TRUE(mm.AllocMemory(&p, 10));
    EXPECT_EQ(mm.live(), live + 1);
    EXPECT_TRUE(mm.owns(p));
    static_cast<char*>(p)[10] = 1;  // one past the end
    void* q = p;
    mm.FreeMemory(&p);
    EXPECT_EQ(p, nullptr);
    EXPECT_EQ(mm.live(), live);
    mm.FreeMemory(&q);  // double free: recorded, not crashed
    int stack = 0;
    void* foreign = &stack;
    mm.FreeMemory(&foreign);
    auto v = mm.violations();
    ASSERT_EQ(v.size(), 3u);
    EXPECT_NE(v[0].find("past the end"), std::string::npos);
    EXPECT_NE(v[1].find("double free"), std::string::npos);
    mm.clearViolations();
}

TEST_F(Fake, CreatesLikeThePlatform) {
    Component& c = make();
    EXPECT_TRUE(c.initResult());
    EXPECT_TRUE(c.memResult());
    EXPECT_EQ(c.info(), 2000);
    EXPECT_EQ(c.extensionName(), "Fake");
    EXPECT_EQ(c.nMethods(), 7);
}

TEST_F(Fake, NamesAnyCaseBothLanguages) {
    Component& c = make();
    EXPECT_EQ(c.findMethod("Echo"), 0);
    EXPECT_EQ(c.findMethod("ECHO"), 0);
    EXPECT_EQ(c.findMethod("эХо"), 0);
    EXPECT_EQ(c.findMethod("ЭХО"), 0);
    EXPECT_EQ(c.findMethod("nope"), -1);
    EXPECT_EQ(c.methodName(2, 0), "SetRef");
    EXPECT_EQ(c.methodName(2, 1), "УстановитьСсылку");
    EXPECT_EQ(c.propName(0, 1), "Значение");
    EXPECT_EQ(c.findProp("значение"), 0);
}

TEST_F(Fake, ValuesRoundTrip) {
    Component& c = make();
    auto r = c.call("Echo", {S("Привет, мир 🌍👋")});
    ASSERT_TRUE(r.ok) << r.describe();
    EXPECT_EQ(r.ret.str(), "Привет, мир 🌍👋");
    std::vector<uint8_t> bytes{0, 1, 2, 255, 0};
    r = c.call("Echo", {BLOB(bytes)});
    EXPECT_EQ(r.ret.bytes(), bytes);
    r = c.call("Echo", {I(42)});
    EXPECT_EQ(r.ret.integer(), 42);
    r = c.call("Echo", {D(2.5)});
    EXPECT_DOUBLE_EQ(r.ret.number(), 2.5);
    r = c.call("Echo", {B(true)});
    EXPECT_TRUE(r.ret.isBool() && r.ret.boolean());
}

TEST_F(Fake, ByRefSlotsAreCopiedBackAndOldStringsFreed) {
    Component& c = make();
    std::vector<Variant> a{S("one"), S("two")};
    auto r = c.call("Swap", a);  // a procedure: CallAsProc
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(a[0].str(), "two");
    EXPECT_EQ(a[1].str(), "one");
    std::vector<Variant> b{S("new value"), S("old value")};
    r = c.call("SetRef", b);
    EXPECT_TRUE(r.isTrue());
    EXPECT_EQ(b[1].str(), "new value");
    std::vector<Variant> d{S("via proc"), I(0)};
    r = c.callAsProc("SetRef", d);  // a function called as a statement
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(d[1].str(), "via proc");
}

TEST_F(Fake, DefaultsFillMissingTrailingArgs) {
    Component& c = make();
    auto r = c.call("Fail");
    EXPECT_FALSE(r.ok);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].code, 1006);
    EXPECT_EQ(r.errors[0].descr, "boom");
    EXPECT_NE(r.errors[0].scode, 0);
    EXPECT_EQ(c.errorDescription(), "boom");
    r = c.call("SetRef", {S("x")});  // second parameter has no default
    EXPECT_TRUE(r.missingArgs);
    EXPECT_FALSE(r.called);
}

TEST_F(Fake, LanguageReachesTheAddIn) {
    Component& c = make("ru");
    auto r = c.call("Fail", {S("сбой")});
    EXPECT_TRUE(r.hasError("Ошибка: сбой")) << r.describe();
}

TEST_F(Fake, WrongCountsAndTypesAreDeliverable) {
    Component& c = make();
    std::vector<Variant> none;
    auto r = c.callRaw(c.findMethod("Echo"), none, true);
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(r.hasError("<bad cast>"));
    r = c.callRawCount(c.findMethod("Echo"), nullptr, 0, true);
    EXPECT_FALSE(r.ok);
    std::vector<Variant> three{I(1), I(2), I(3)};
    r = c.callRaw(c.findMethod("Echo"), three, false);
    EXPECT_FALSE(r.ok);
    r = c.call("Fail", {I(5)});
    EXPECT_TRUE(r.hasError("<bad cast>"));
}

TEST_F(Fake, PropertiesGetSet) {
    Component& c = make();
    EXPECT_EQ(c.get("Значение").str(), "начало");
    EXPECT_TRUE(c.set("Value", S("другое")));
    EXPECT_EQ(c.get("value").str(), "другое");
    EXPECT_EQ(c.get("Порт").integer(), 42);
    EXPECT_FALSE(c.set("Port", I(1)));
}

TEST_F(Fake, ExternalEventsRespectTheBufferDepth) {
    Component& c = make();
    auto& p = c.platform();
    EXPECT_EQ(p.eventBufferDepth(), 1);
    ASSERT_TRUE(c.call("Fire", {I(5)}).isTrue());
    EXPECT_TRUE(waitUntil([&] { return p.eventsAccepted() + p.eventsRefused() == 5; }, 5s));
    EXPECT_EQ(p.eventsAccepted(), 1);
    EXPECT_EQ(p.eventsRefused(), 4);
    EventRecord e;
    ASSERT_TRUE(p.takeEvent(&e, 1s));
    EXPECT_EQ(e.source, "Fake");
    EXPECT_EQ(e.message, "Tick");
    EXPECT_EQ(e.data, "e0");
    EXPECT_TRUE(p.setEventBufferDepth(10));
    ASSERT_TRUE(c.call("Fire", {I(3)}).isTrue());
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(p.takeEvent(&e, 2s));
    EXPECT_FALSE(p.takeEvent(&e, 50ms));
}

TEST_F(Fake, PlatformInterfaces) {
    Component& c = make();
    if (!c.localPlatform()) GTEST_SKIP() << "the platform object lives in the Windows host (" << lib_->where() << ")";
    auto& p = *c.localPlatform();
    auto* info = static_cast<IPlatformInfo*>(p.GetInterface(eIPlatformInfo));
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->GetPlatformInfo()->Application, IPlatformInfo::eAppServer);
    auto* att = static_cast<IAttachedInfo*>(p.GetInterface(eIAttachedInfo));
    ASSERT_NE(att, nullptr);
    EXPECT_EQ(att->GetAttachedInfo(), IAttachedInfo::eAttachedNotIsolated);
}

TEST_F(Fake, LeakIsDetected) {
    Component& c = make();
    std::vector<Variant> a{S("will leak")};
    c.call("Leak", a);
    auto v = c.abiViolations();
    ASSERT_EQ(v.size(), 1u);
    EXPECT_NE(v[0].find("without FreeMemory"), std::string::npos) << v[0];
    EXPECT_EQ(a[0].str(), "leaked");
    // Forget the deliberate violation so TearDown stays green.
    comps_.back()->destroy();
    comps_.clear();
}

TEST(PeerHarness, EventsCommandsAndExit) {
    Peer p({PYTHON3, FAKE_PEER, "--url", "ws://fake"}, "fake");
    ASSERT_TRUE(p.waitOpen(5s)) << p.diagnostics();
    ASSERT_TRUE(p.sendText("Привет 🌍"));
    auto m = p.waitFor("message", 5s);
    ASSERT_TRUE(m) << p.diagnostics();
    EXPECT_EQ((*m)["data"], "Привет 🌍");
    EXPECT_EQ((*m)["sha256"], sha256Hex(std::string("Привет 🌍")));
    ASSERT_TRUE(p.close(1000, "bye"));
    auto c = p.waitClosed(5s);
    ASSERT_TRUE(c);
    EXPECT_EQ((*c)["code"], 1000);
    EXPECT_EQ(p.waitExit(5s), 0);
    EXPECT_NE(p.stderrText().find("diagnostic on stderr"), std::string::npos);
}

TEST(PeerHarness, ConnectFailureIsAnErrorEvent) {
    Peer p({PYTHON3, FAKE_PEER, "--url", "fail://x"}, "fake");
    EXPECT_FALSE(p.waitOpen(5s));
    EXPECT_EQ(p.waitExit(5s), 1);
}

TEST(PeerHarness, HangingPeerTimesOutAndIsKilledPromptly) {
    auto t0 = std::chrono::steady_clock::now();
    {
        Peer p({PYTHON3, FAKE_PEER, "--url", "hang://x"}, "fake");
        EXPECT_FALSE(p.waitOpen(300ms));
        EXPECT_FALSE(p.next(100ms));
    }
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST(PeerHarness, MissingProgramThrows) {
    EXPECT_THROW(Peer({"/nonexistent/program"}, "none"), std::runtime_error);
}

TEST(Util, SocketsListenersCommands) {
    int before = countSocketFds();
    {
        Listener l;
        ASSERT_TRUE(l.ok());
        EXPECT_GT(l.port(), 0);
        EXPECT_EQ(countSocketFds(), before + 1);
        EXPECT_FALSE(canBind("127.0.0.1", l.port()));
    }
    EXPECT_EQ(countSocketFds(), before);
    std::string out;
    EXPECT_EQ(runCommand({"sh", "-c", "echo hi; exit 3"}, &out), 3);
    EXPECT_EQ(out, "hi\n");
    EXPECT_EQ(runCommand({"sleep", "10"}, &out, 200ms), -1);
}

TEST(Util, MakesCertificates) {
    TempDir t;
    TestCerts c = makeTestCerts(t.path());
    ASSERT_TRUE(c.ok) << c.log;
    std::string out;
    EXPECT_EQ(runCommand({"openssl", "verify", "-CAfile", c.caCert, c.serverCert}, &out), 0) << out;
    EXPECT_EQ(runCommand({"openssl", "pkcs12", "-in", c.pfx, "-passin", "pass:" + c.password, "-noout"}, &out), 0) << out;
    EXPECT_NE(readFile(c.serverKeyEnc).find("ENCRYPTED PRIVATE KEY"), std::string::npos);
}
