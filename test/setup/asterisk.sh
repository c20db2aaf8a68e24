#!/usr/bin/env bash
# Makes a real Asterisk available to the test suite and prints its prefix on the last line.
#
# - PARLEY_ASTERISK_PREFIX set: use that existing Asterisk 20/22 install (needs sbin/asterisk and
#   lib/asterisk/modules with chan_pjsip, chan_rtp, chan_websocket, res_ari*, res_audiosocket).
# - otherwise: build Asterisk 22.10.1 once, offline, into a cache outside the checkout
#   (PARLEY_CACHE_DIR, default ~/.cache/parley), from the source tarballs in
#   PARLEY_ASTERISK_SOURCES (default: ../shared/asterisk beside the checkout). A finished build
#   is reused; a fresh machine pays about 7 minutes on 2 cores once.
# Fails (never skips) with a message saying how to get Asterisk when neither is possible.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
version=22.10.1

fail() {
  echo "Asterisk for the tests: $*" >&2
  echo "Either point PARLEY_ASTERISK_PREFIX at an Asterisk 20/22 install prefix, or set" >&2
  echo "PARLEY_ASTERISK_SOURCES to a folder with asterisk-$version.tar.xz and pjproject-2.17.tar.xz" >&2
  echo "(the project's shared/asterisk folder) so the tests can build it once into PARLEY_CACHE_DIR." >&2
  exit 1
}

if [ -n "${PARLEY_ASTERISK_PREFIX:-}" ]; then
  [ -x "$PARLEY_ASTERISK_PREFIX/sbin/asterisk" ] || fail "no sbin/asterisk under PARLEY_ASTERISK_PREFIX=$PARLEY_ASTERISK_PREFIX"
  echo "$PARLEY_ASTERISK_PREFIX"
  exit 0
fi

cache=${PARLEY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/parley}
prefix=$cache/asterisk-$version
if [ -x "$prefix/sbin/asterisk" ] && [ -f "$prefix.work/.stamp-install" ]; then
  echo "$prefix"
  exit 0
fi

sources=${PARLEY_ASTERISK_SOURCES:-$repo/../shared/asterisk}
ast_tar=$sources/asterisk-$version.tar.xz
pj_tar=$sources/pjproject-2.17.tar.xz
[ -f "$ast_tar" ] && [ -f "$pj_tar" ] || fail "no source tarballs in $sources and no built Asterisk in $prefix"

echo "Building Asterisk $version into $prefix (once; about 7 minutes on 2 cores)..." >&2
mkdir -p "$cache"
# One build at a time: parallel test workers wait for the first one.
exec 9>"$cache/asterisk-$version.lock"
flock 9
if [ ! -x "$prefix/sbin/asterisk" ] || [ ! -f "$prefix.work/.stamp-install" ]; then
  bash "$here/build-asterisk.sh" "$ast_tar" "$pj_tar" "$prefix" >&2 \
    || fail "the build failed; see $prefix.work/logs"
fi
echo "$prefix"
