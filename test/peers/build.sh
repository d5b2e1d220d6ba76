#!/usr/bin/env bash
# Builds the independent DTLS-PSK peers against Debian's mbedTLS (libmbedtls-dev) and wolfSSL
# (libwolfssl-dev), each in its default configuration, into test/peers/bin. The tests that run them say
# they are skipped when a binary is missing; here a missing library is an error.
set -euo pipefail
cd "$(dirname "$0")"
out=bin
mkdir -p "$out"
flags=(-std=c11 -O2 -Wall -Wextra)
common=(coap_register.c peer_arguments.c)

require_header() {
  local header=$1 package=$2
  if ! printf '#include <%s>\n' "$header" | gcc -E -x c - >/dev/null 2>&1; then
    echo "test/peers: <$header> not found: install Debian's $package (apt-get install $package)" >&2
    exit 1
  fi
}

require_header mbedtls/ssl.h libmbedtls-dev
require_header wolfssl/ssl.h libwolfssl-dev

gcc "${flags[@]}" -o "$out/mbedtls-register" mbedtls_register.c "${common[@]}" -lmbedtls -lmbedx509 -lmbedcrypto
gcc "${flags[@]}" -o "$out/wolfssl-register" wolfssl_register.c "${common[@]}" -lwolfssl
# The PSK handshake benchmark's load client (bench/psk-handshakes.bench.ts), not a test peer.
gcc "${flags[@]}" -o "$out/mbedtls-psk-handshake-load" mbedtls_psk_handshake_load.c -lmbedtls -lmbedx509 -lmbedcrypto
echo "test/peers: built $out/mbedtls-register (mbedTLS $(dpkg-query -W -f='${Version}' libmbedtls-dev 2>/dev/null || echo '?')) and $out/wolfssl-register (wolfSSL $(dpkg-query -W -f='${Version}' libwolfssl-dev 2>/dev/null || echo '?'))"
