#!/usr/bin/env bash
# Offline scan throughput on the same files, in one run: `gateway check --offline` against rspamd
# (rspamc -> rspamd, network checks off) and SpamAssassin (spamc -> spamd -L). Reports messages per
# CPU-second of each scanner ("msgs/s per core": the CPU its processes burned, user + system) and the
# ratios. Everything runs inside a private network namespace with only loopback (unshare -n), so no
# peer can reach the network whatever its defaults, and the corpus never leaves the machine.
# Usage: bash bench/peers.sh [messages]     (from the repository root; default 400, half ham half spam)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-400}
corpus=../shared/corpus

if ! command -v rspamd >/dev/null || ! command -v spamd >/dev/null || ! command -v spamc >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rspamd spamassassin spamc >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/msgs"
mapfile -t hams < <(ls "$corpus/ham/easy_ham" | sort)
mapfile -t spams < <(ls "$corpus/spam/spam_2" | sort)
for f in "${hams[@]:0:$((count / 2))}"; do cp "$corpus/ham/easy_ham/$f" "$work/msgs/ham-$f"; done
for f in "${spams[@]:0:$((count / 2))}"; do cp "$corpus/spam/spam_2/$f" "$work/msgs/spam-$f"; done
dotnet build -c Release src/Gateway -v quiet >/dev/null
export WORK=$work GATEWAY_DLL=$PWD/src/Gateway/bin/Release/net10.0/gateway.dll CONFIG=$PWD/gateway.yaml
exec unshare -n bash bench/peers-inner.sh
