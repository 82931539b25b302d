#!/usr/bin/env bash
# Gateway CPU per relayed message, two builds or settings alternated (A B A B ...) so both share the
# machine's weather: each round starts a fresh gateway, warms it up, then relays N messages from
# smtp-source at concurrency 50 into smtp-sink and reads the process's CPU time (utime + stime) across
# the N. Prints every run and the median per side, for one ham and one spam message of the corpus.
# Usage: bash bench/cpu-ab.sh ROUNDS N "A settings" "B settings"     (from the repository root)
#   settings are environment assignments, e.g. "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0" or
#   "DLL=/path/to/other/build/gateway.dll" (default DLL: this checkout's Release build). WARM=4000.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; count=${2:-5000}; side_a=${3:-X=1}; side_b=${4:-X=1}
corpus=../shared/corpus
samples="$corpus/ham/easy_ham/$(ls $corpus/ham/easy_ham | sed -n 5p) $corpus/spam/spam_2/$(ls $corpus/spam/spam_2 | sed -n 5p)"

if ! command -v smtp-source >/dev/null; then
  apt-get update -qq
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null
fi

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
sink_port=2625; gw_port=2626
user_flag=(); [ "$(id -u)" -eq 0 ] && user_flag=(-u nobody)
smtp-sink "${user_flag[@]}" 127.0.0.1:$sink_port 512 &
cat > "$work/gateway.yaml" <<YAML
hostname: gateway.bench.test
listen: ["127.0.0.1:$gw_port"]
domains: [example.test]
mode: shadow   # forward what enforce would reject, so spam measures the whole path
downstream: {host: 127.0.0.1, port: $sink_port, tls: none, pool_size: 64}
limits: {max_connections: 1000, max_connections_per_ip: 1000}
rules: $PWD/rules
classifier: {enabled: true, model: $PWD/models/spam.zip}
metrics: {listen: ""}
YAML
dotnet build -c Release src/Gateway -v quiet >/dev/null
default_dll=$PWD/src/Gateway/bin/Release/net10.0/gateway.dll

one_run() { # settings message -> ms of gateway CPU per message
  local dll pid before after
  dll=$(env $1 bash -c 'echo ${DLL:-}'); dll=${dll:-$default_dll}
  env $1 dotnet "$dll" run --offline --config "$work/gateway.yaml" 2>/dev/null &
  pid=$!
  for _ in $(seq 1 60); do (exec 3<>/dev/tcp/127.0.0.1/$gw_port) 2>/dev/null && break; sleep 0.5; done
  smtp-source -s 50 -m "${WARM:-4000}" -F "$2" -f sender@remote.test -t user@example.test 127.0.0.1:$gw_port
  before=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
  smtp-source -s 50 -m "$count" -F "$2" -f sender@remote.test -t user@example.test 127.0.0.1:$gw_port
  after=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
  kill $pid; wait $pid 2>/dev/null || true
  echo "($after - $before) * 1000 / $(getconf CLK_TCK) / $count" | bc -l
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for sample in $samples; do
  sed '1{/^From /d}' "$sample" > "$work/message.eml"
  a=(); b=()
  for _ in $(seq 1 "$rounds"); do
    a+=("$(one_run "$side_a" "$work/message.eml")")
    b+=("$(one_run "$side_b" "$work/message.eml")")
  done
  printf '%s: ms CPU per message  A (%s): %s -> %.3f   B (%s): %s -> %.3f\n' "$(basename "$sample")" \
    "$side_a" "$(printf '%.3f ' "${a[@]}")" "$(median "${a[@]}")" "$side_b" "$(printf '%.3f ' "${b[@]}")" "$(median "${b[@]}")"
done
