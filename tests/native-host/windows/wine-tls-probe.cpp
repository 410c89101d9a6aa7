// wine-tls-probe.exe: what Wine's crypt32 and schannel can do for a TLS server, without .NET in
// between (docs/wine-tls.md). Not a test: a reproduction tool.
//   wine-tls-probe.exe import FILE.pfx PASSWORD FLAGS     PFXImportCertStore(FLAGS, hex), then report
//                                                          whether the certificate has a usable key
//   wine-tls-probe.exe serve FILE.pfx PASSWORD FLAGS PORT  the same, then one schannel TLS server
//                                                          handshake on 127.0.0.1:PORT (e.g. for
//                                                          `openssl s_client`), which gets "hello\n"
// .NET passes FLAGS 8200 (PKCS12_NO_PERSIST_KEY | PKCS12_ALWAYS_CNG_KSP) for EphemeralKeySet and 0
// for the default key set.
#define SECURITY_WIN32
#include <winsock2.h>
#include <windows.h>
#include <wincrypt.h>
#include <schannel.h>
#include <security.h>
#include <sspi.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::wstring wide(const char* s) {
    std::wstring w;
    for (; *s; ++s) w += wchar_t(static_cast<unsigned char>(*s));
    return w;
}

PCCERT_CONTEXT importPfx(const char* path, const char* password, DWORD flags) {
    FILE* f = std::fopen(path, "rb");
    if (!f) {
        std::printf("cannot open %s\n", path);
        return nullptr;
    }
    std::vector<BYTE> bytes;
    for (int c; (c = std::fgetc(f)) != EOF;) bytes.push_back(BYTE(c));
    std::fclose(f);
    CRYPT_DATA_BLOB blob{DWORD(bytes.size()), bytes.data()};
    std::wstring pw = wide(password);
    ::SetLastError(0);
    HCERTSTORE store = ::PFXImportCertStore(&blob, pw.c_str(), flags);
    if (!store) {
        std::printf("PFXImportCertStore(flags %08lx): NULL, GetLastError %08lx\n", flags, ::GetLastError());
        return nullptr;
    }
    std::printf("PFXImportCertStore(flags %08lx): a store\n", flags);
    PCCERT_CONTEXT withKey = nullptr;
    for (PCCERT_CONTEXT c = nullptr; (c = ::CertEnumCertificatesInStore(store, c));) {
        char name[256];
        ::CertGetNameStringA(c, CERT_NAME_SIMPLE_DISPLAY_TYPE, 0, nullptr, name, sizeof name);
        DWORD size = 0;
        bool key = ::CertGetCertificateContextProperty(c, CERT_KEY_PROV_INFO_PROP_ID, nullptr, &size);
        HCRYPTPROV_OR_NCRYPT_KEY_HANDLE handle = 0;
        DWORD spec = 0;
        BOOL mustFree = FALSE;
        BOOL acquired = ::CryptAcquireCertificatePrivateKey(c, CRYPT_ACQUIRE_ALLOW_NCRYPT_KEY_FLAG, nullptr, &handle,
                                                            &spec, &mustFree);
        std::printf("  certificate \"%s\": key provider info %s, CryptAcquireCertificatePrivateKey %s (%08lx)\n", name,
                    key ? "yes" : "no", acquired ? "ok" : "failed", acquired ? 0 : ::GetLastError());
        if (acquired && !withKey) withKey = ::CertDuplicateCertificateContext(c);
    }
    return withKey;
}

int serve(PCCERT_CONTEXT cert, int port) {
    SCHANNEL_CRED cred{};
    cred.dwVersion = SCHANNEL_CRED_VERSION;
    cred.cCreds = 1;
    cred.paCred = &cert;
    cred.grbitEnabledProtocols = SP_PROT_TLS1_2_SERVER;
    CredHandle credentials;
    TimeStamp expiry;
    SECURITY_STATUS s = ::AcquireCredentialsHandleW(nullptr, const_cast<wchar_t*>(UNISP_NAME_W), SECPKG_CRED_INBOUND,
                                                    nullptr, &cred, nullptr, nullptr, &credentials, &expiry);
    std::printf("AcquireCredentialsHandle(inbound): %08lx\n", s);
    if (s != SEC_E_OK) return 1;

    WSADATA wsa;
    ::WSAStartup(MAKEWORD(2, 2), &wsa);
    SOCKET listener = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(u_short(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) || ::listen(listener, 1)) {
        std::printf("cannot listen on 127.0.0.1:%d\n", port);
        return 1;
    }
    std::printf("listening on 127.0.0.1:%d\n", port);
    std::fflush(stdout);
    SOCKET peer = ::accept(listener, nullptr, nullptr);

    CtxtHandle context;
    bool haveContext = false;
    std::vector<char> in;
    char chunk[16384];
    for (;;) {
        int got = ::recv(peer, chunk, sizeof chunk, 0);
        if (got <= 0) {
            std::printf("the client went away during the handshake\n");
            return 1;
        }
        in.insert(in.end(), chunk, chunk + got);
        SecBuffer inBufs[2] = {{ULONG(in.size()), SECBUFFER_TOKEN, in.data()}, {0, SECBUFFER_EMPTY, nullptr}};
        SecBufferDesc inDesc{SECBUFFER_VERSION, 2, inBufs};
        SecBuffer outBuf{0, SECBUFFER_TOKEN, nullptr};
        SecBufferDesc outDesc{SECBUFFER_VERSION, 1, &outBuf};
        ULONG attributes = 0;
        s = ::AcceptSecurityContext(&credentials, haveContext ? &context : nullptr, &inDesc,
                                    ASC_REQ_ALLOCATE_MEMORY | ASC_REQ_STREAM | ASC_REQ_CONFIDENTIALITY, 0, &context,
                                    &outDesc, &attributes, &expiry);
        haveContext = true;
        if (outBuf.cbBuffer && outBuf.pvBuffer) {
            ::send(peer, static_cast<char*>(outBuf.pvBuffer), int(outBuf.cbBuffer), 0);
            ::FreeContextBuffer(outBuf.pvBuffer);
        }
        if (s == SEC_E_INCOMPLETE_MESSAGE) continue;
        if (inBufs[1].BufferType == SECBUFFER_EXTRA) in.erase(in.begin(), in.end() - long(inBufs[1].cbBuffer));
        else in.clear();
        if (s == SEC_E_OK) break;
        if (s != SEC_I_CONTINUE_NEEDED) {
            std::printf("AcceptSecurityContext: %08lx\n", s);
            return 1;
        }
    }
    SecPkgContext_ConnectionInfo info{};
    ::QueryContextAttributesW(&context, SECPKG_ATTR_CONNECTION_INFO, &info);
    std::printf("handshake done (protocol %08lx)\n", info.dwProtocol);

    SecPkgContext_StreamSizes sizes{};
    ::QueryContextAttributesW(&context, SECPKG_ATTR_STREAM_SIZES, &sizes);
    std::vector<char> message(sizes.cbHeader + 6 + sizes.cbTrailer);
    std::memcpy(message.data() + sizes.cbHeader, "hello\n", 6);
    SecBuffer bufs[4] = {{sizes.cbHeader, SECBUFFER_STREAM_HEADER, message.data()},
                         {6, SECBUFFER_DATA, message.data() + sizes.cbHeader},
                         {sizes.cbTrailer, SECBUFFER_STREAM_TRAILER, message.data() + sizes.cbHeader + 6},
                         {0, SECBUFFER_EMPTY, nullptr}};
    SecBufferDesc desc{SECBUFFER_VERSION, 4, bufs};
    s = ::EncryptMessage(&context, 0, &desc, 0);
    std::printf("EncryptMessage: %08lx\n", s);
    ::send(peer, message.data(), int(bufs[0].cbBuffer + bufs[1].cbBuffer + bufs[2].cbBuffer), 0);
    ::Sleep(500);
    ::closesocket(peer);
    return s == SEC_E_OK ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 5 || (std::string(argv[1]) == "serve" && argc < 6)) {
        std::fprintf(stderr, "usage: wine-tls-probe.exe import|serve FILE.pfx PASSWORD FLAGS [PORT]\n");
        return 2;
    }
    DWORD flags = DWORD(std::strtoul(argv[4], nullptr, 16));
    PCCERT_CONTEXT cert = importPfx(argv[2], argv[3], flags);
    if (!cert) return 1;
    if (std::string(argv[1]) == "import") return 0;
    return serve(cert, std::atoi(argv[5]));
}
