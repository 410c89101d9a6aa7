#!/usr/bin/env bash
# Reproduces what docs/wine-tls.md reports about TLS under Debian 12's Wine 8: the add-in's Server
# and Client (dist/WebSocket.zip, through addin-platform.exe) and Wine's crypt32/schannel alone
# (wine-tls-probe.exe). Run after the windows-host stage has built tests/native-host/build-windows.
#   tests/native-host/windows/wine-tls-repro.sh        (WINEDEBUG=+crypt,+bcrypt,+secur32 ... to trace)
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
B=$repo/tests/native-host/build-windows
work=$repo/.work/wine-tls
mkdir -p "$work"
cd "$work"
export WINEPREFIX=$work/prefix WINEDEBUG=${WINEDEBUG:--all} WINEDLLOVERRIDES="mscoree,mshtml="
wine64=/usr/lib/wine/wine64
[ -f "$WINEPREFIX/system.reg" ] || wineboot --init >/dev/null 2>&1
echo "Wine: $(wine --version 2>/dev/null); libgnutls30: $(dpkg-query -W -f='${Version}' libgnutls30 2>/dev/null || echo missing)"

# A CA, a server certificate for localhost and 127.0.0.1 signed by it, its key, PFX files.
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=TestCA 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext 2>/dev/null
openssl pkcs12 -export -in server.pem -inkey server.key -out server.pfx -passout pass:pw
openssl pkcs12 -export -legacy -in server.pem -inkey server.key -out legacy.pfx -passout pass:pw
openssl pkcs12 -export -in server.pem -inkey server.key -out 3des.pfx -passout pass:pw \
  -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1
zip="Z:$(echo "$repo/dist/WebSocket.zip" | sed 's|/|\\\\|g')"

# One object in addin-platform.exe, driven through its line protocol (tests/native-host/README.md).
platform() { # CLASS LINE... : prints the reply to the last line
  local class=$1; shift
  { printf '{"id":1,"op":"load","zip":"%s"}\n' "$zip"; sleep 4
    printf '{"id":2,"op":"create","options":{"className":"%s"}}\n' "$class"; sleep 0.5
    local id=3
    for line in "$@"; do printf '%s\n' "${line/\{/\{\"id\":$id,}"; id=$((id + 1)); sleep 3; done
  } | $wine64 "$B/addin-platform.exe" 2>/dev/null | grep "\"id\":$(($# + 2))[,}]" | grep -o '"descr":"[^"]*"\|"ret":{[^}]*}'
}
s() { printf '{"vt":22,"s":"%s"}' "$1"; }
run() { platform Server "{\"op\":\"call\",\"obj\":1,\"name\":\"Run\",\"args\":[$(s 127.0.0.1),{\"vt\":3,\"i\":0},$(s "$1"),$(s "$2"),$(s "$3")]}"; }

echo; echo "== the add-in's Server: Run(\"127.0.0.1\", 0, Certificate, Key, Password)"
echo "-- PEM certificate + PEM key";         run "$work/server.pem" "$work/server.key" ""
echo "-- PFX (OpenSSL 3 default: AES-256)";  run "$work/server.pfx" "" pw
echo "-- PFX made with -legacy (RC2-40)";   run "$work/legacy.pfx" "" pw
echo "-- PFX with 3DES and a SHA-1 MAC";    run "$work/3des.pfx" "" pw

echo; echo "== Wine's crypt32 alone: PFXImportCertStore(FLAGS), then the certificate's key"
for flags in 8200 8000 0; do
  echo "-- flags $flags"; $wine64 "$B/wine-tls-probe.exe" import server.pfx pw $flags 2>/dev/null
done
echo; echo "== Wine's schannel as a TLS server (the key imported with flags 0), openssl s_client as the client"
( timeout 30 $wine64 "$B/wine-tls-probe.exe" serve server.pfx pw 0 47011 >serve.out 2>/dev/null & )
sleep 3
echo | timeout 10 openssl s_client -connect 127.0.0.1:47011 -CAfile ca.pem -servername localhost >s_client.out 2>&1
sleep 1
cat serve.out
grep -m1 -E "unexpected eof|Cipher is|hello" s_client.out

echo; echo "== the add-in's Client against a Linux wss server (Python websockets) with that certificate"
exec 3< <(sleep 120)
/usr/bin/python3 "$repo/tests/peers/servers/python-server.py" --port 0 --tls-cert server.pem --tls-key server.key \
  --exit-on-stdin-eof <&3 >server.out 2>&1 &
server=$!
sleep 1.5
port=$(grep -o '"port": *[0-9]*' server.out | grep -o '[0-9]*$')
connect() { # URL TRUSTED
  platform Client "{\"op\":\"set\",\"obj\":1,\"prop\":\"TrustedCertificate\",\"value\":$(s "$2")}" \
    "{\"op\":\"call\",\"obj\":1,\"name\":\"Connect\",\"args\":[$(s "$1"),$(s ""),{\"vt\":3,\"i\":10000}]}"
}
fp=$(openssl x509 -in server.pem -noout -fingerprint -sha256 | cut -d= -f2)
echo "-- wss://localhost, TrustedCertificate = the CA";            connect "wss://localhost:$port/echo" "$work/ca.pem"
echo "-- wss://localhost, no TrustedCertificate (the CA is in no store: must be refused)"; connect "wss://localhost:$port/echo" ""
echo "-- wss://127.0.0.1, TrustedCertificate = the CA";            connect "wss://127.0.0.1:$port/echo" "$work/ca.pem"
echo "-- wss://127.0.0.1, TrustedCertificate = its SHA-256";       connect "wss://127.0.0.1:$port/echo" "$fp"
kill $server 2>/dev/null
wineserver -k 2>/dev/null
