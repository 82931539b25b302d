#!/usr/bin/env bash
# What attachments and antivirus cost per message (issue 20): bench/Gateway.Load latency (concurrency 10,
# offline, shadow mode) over a mix of 20 corpus messages and the attachment fixtures of rules/tests
# (PDF, Office with and without macros, zip, encrypted zip, HTML, SVG), run twice in one go: antivirus
# off, then on against a real clamd on loopback (offline, one signature of ours, as in the tests).
# Then (E2E=1) end-to-end throughput with bench/e2e.sh on a message with a PDF attachment, antivirus off
# and on, one after the other against the same clamd.
# Usage: [E2E=1] bash bench/antivirus.sh [messages]     (from the repository root; needs clamav-daemon)
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${1:-3000}
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
mkdir -p "$work/db"
printf 'Gateway.Bench.Marker:0:*:%s\n' "$(printf 'GATEWAY-BENCH-MARKER' | xxd -p)" > "$work/db/bench.ndb"
printf 'Foreground yes\nTCPSocket %s\nTCPAddr 127.0.0.1\nDatabaseDirectory %s/db\nTemporaryDirectory %s\nLogFile %s/clamd.log\n' "$port" "$work" "$work" "$work" > "$work/clamd.conf"
clamd --config-file "$work/clamd.conf" >/dev/null 2>&1 &
clamd_pid=$!
trap 'kill $clamd_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 60); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.5; done
dotnet build -c Release src/Gateway -v quiet >/dev/null
dotnet build -c Release bench/Gateway.Load -v quiet >/dev/null
files=$(ls ../shared/corpus/ham/easy_ham | sort | head -20 | sed 's|^|../shared/corpus/ham/easy_ham/|'; ls rules/tests/messages/attachment-*.eml)
for mode in off on; do
  if [ "$mode" = on ]; then yaml="antivirus: {enabled: true, clamd: \"127.0.0.1:$port\", timeout: 10s}"; else yaml="antivirus: {enabled: false}"; fi
  echo "== antivirus $mode"
  # shellcheck disable=SC2086
  BENCH_EXTRA_YAML="$yaml" dotnet bench/Gateway.Load/bin/Release/net10.0/Gateway.Load.dll latency src/Gateway/bin/Release/net10.0/gateway.dll "$messages" 10 $files | grep -E '^(latency|path|bare|gateway|added|  )'
done

if [ "${E2E:-0}" = 1 ]; then
  for mode in off on; do
    if [ "$mode" = on ]; then extra="antivirus: {enabled: true, clamd: \"127.0.0.1:$port\", timeout: 10s}"; else extra="antivirus: {enabled: false}"; fi
    echo "== end to end, antivirus $mode"
    GATEWAY_EXTRA_YAML="$extra" MESSAGES="rules/tests/messages/attachment-real-pdf.eml" ROUNDS=${ROUNDS:-3} bash bench/e2e.sh "$messages"
  done
fi
