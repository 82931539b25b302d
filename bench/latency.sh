#!/usr/bin/env bash
# Latency the gateway adds per message at concurrency 10: the same real corpus messages straight into a
# loopback downstream (the bare hop) and through the gateway (offline, shipped rules and model, shadow
# mode so spam travels the whole path), timed from MAIL FROM to the final reply; p50/p90/p99 of both,
# their difference, and the gateway's per-check histogram from its /metrics.
# Usage: bash bench/latency.sh [messages] [concurrency]     (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${1:-3000}
concurrency=${2:-10}
corpus=../shared/corpus
mapfile -t hams < <(ls "$corpus/ham/easy_ham" | sort)
mapfile -t spams < <(ls "$corpus/spam/spam_2" | sort)
files=$(for f in "${hams[@]:0:20}"; do echo "$corpus/ham/easy_ham/$f"; done; for f in "${spams[@]:0:20}"; do echo "$corpus/spam/spam_2/$f"; done)
dotnet build -c Release src/Gateway -v quiet >/dev/null
dotnet build -c Release bench/Gateway.Load -v quiet >/dev/null
# shellcheck disable=SC2086
dotnet bench/Gateway.Load/bin/Release/net10.0/Gateway.Load.dll latency src/Gateway/bin/Release/net10.0/gateway.dll "$messages" "$concurrency" $files
