#!/usr/bin/env bash
# Installs the Debian packages the test suite runs against (real audio tools, reference codecs,
# servers). Runs as `pretest`; does nothing when everything is present.
set -euo pipefail

packages=(espeak-ng sox libspandsp-dev redis-server coturn chromium sip-tester janus iproute2 baresip
  # echo bench references (bench/echo)
  libspeexdsp-dev libwebrtc-audio-processing-dev
  util-linux
  # self-signed certificates for the SIP/TLS tests
  openssl
  # Asterisk's offline build (test/setup/asterisk.sh)
  build-essential libedit-dev libjansson-dev libxml2-dev libsqlite3-dev uuid-dev libssl-dev
  libsrtp2-dev libopus-dev libcurl4-openssl-dev bzip2 xz-utils)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
  echo "The tests need these Debian packages: ${missing[*]}" >&2
  echo "Install them with: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
echo "Installing test packages: ${missing[*]}"
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
