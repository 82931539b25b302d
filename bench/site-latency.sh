#!/usr/bin/env bash
# What site learning costs per message (issue 19): bench/latency.sh (concurrency 10, offline, the same
# corpus messages) three times in one go — learning off (the baseline), learning on with the memory store,
# and learning on with Redis on loopback holding a learned site model (spam/spam and ham/easy_ham_2 of
# ../shared/corpus learned first, so every scan reads real token counts). Also prints Redis's own
# figures: keys, memory used per token and per learned message record.
# Usage: bash bench/site-latency.sh [messages]     (from the repository root; needs redis-server)
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${1:-3000}
port=$((20000 + RANDOM % 20000))
work=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no >"$work/redis.log" 2>&1 &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
dotnet build -c Release src/Gateway -v quiet >/dev/null
gateway="dotnet src/Gateway/bin/Release/net10.0/gateway.dll"
printf 'hostname: gateway.bench.test\ndomains: [example.test]\nrules: %s/rules\nstate: {backend: redis, redis: "127.0.0.1:%s"}\n' "$PWD" "$port" > "$work/gateway.yaml"
$gateway learn spam --no-caps --source bench --config "$work/gateway.yaml" ../shared/corpus/spam/spam
$gateway learn ham --no-caps --source bench --config "$work/gateway.yaml" ../shared/corpus/ham/easy_ham_2
$gateway learn stats --config "$work/gateway.yaml" | sed -n 1p
echo "redis: $(redis-cli -p "$port" dbsize) keys, $(redis-cli -p "$port" info memory | grep '^used_memory:' | tr -d '\r')"
record=$(redis-cli -p "$port" --scan --pattern 'gateway:bayes:m:*' | sed -n 1p)
echo "token counts (hashes s, h) and the lru set: $(( $(redis-cli -p "$port" memory usage gateway:bayes:s) + $(redis-cli -p "$port" memory usage gateway:bayes:h) + $(redis-cli -p "$port" memory usage gateway:bayes:lru) )) bytes; one learned message record: $(redis-cli -p "$port" memory usage "$record") bytes"

for mode in off memory redis; do
  case $mode in
    off) yaml='learning: {enabled: false}' ;;
    memory) yaml='learning: {enabled: true}' ;;
    redis) yaml="state: {backend: redis, redis: \"127.0.0.1:$port\"}"$'\n''learning: {enabled: true}' ;;
  esac
  echo "== learning $mode"
  calls_before=$(redis-cli -p "$port" info commandstats | awk -F'calls=' '/^cmdstat_eval/ {split($2, a, ","); s += a[1]} END {print s + 0}')
  BENCH_EXTRA_YAML="$yaml" bash bench/latency.sh "$messages" 10 | grep -E '^(path|bare|gateway|added|  site|  classifier|  rules)'
  calls_after=$(redis-cli -p "$port" info commandstats | awk -F'calls=' '/^cmdstat_eval/ {split($2, a, ","); s += a[1]} END {print s + 0}')
  echo "redis script calls during the run: $((calls_after - calls_before))"
done
