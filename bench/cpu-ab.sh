#!/usr/bin/env bash
# Gateway CPU per relayed message, two builds or settings alternated (A B A B ...) so both share the
# machine's weather: each round starts a fresh gateway, warms it up, then relays N messages from
# smtp-source at concurrency 50 into smtp-sink and reads the process's CPU time (utime + stime) across
# the N. Prints every run and the median per side, for one ham and one spam message of the corpus.
# Usage: bash bench/cpu-ab.sh ROUNDS N "A settings" "B settings"     (from the repository root)
#   settings are environment assignments, e.g. "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0" or
#   "DLL=/path/to/other/build/gateway.dll" (default DLL: this checkout's Release build), or
#   "CONFIG=/path/to/gateway.yaml" (default: relay-setup.sh's, into smtp-sink). WARM=4000.
#   PIN=1 as in e2e.sh (relay-setup.sh): load tools on CPU 0, the gateway on CPU 1.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; count=${2:-5000}; side_a=${3:-X=1}; side_b=${4:-X=1}
source bench/relay-setup.sh

one_run() { # settings message -> ms of gateway CPU per message
  local dll config pid before after
  dll=$(env $1 bash -c 'echo ${DLL:-}'); dll=${dll:-$gateway_dll}
  config=$(env $1 bash -c 'echo ${CONFIG:-}'); config=${config:-$work/gateway.yaml}
  "${gateway_cpu[@]}" env $1 dotnet "$dll" run --offline --config "$config" 2>/dev/null &
  pid=$!
  wait_for_gateway
  "${tools_cpu[@]}" smtp-source -s 50 -m "${WARM:-4000}" -F "$2" -f sender@remote.test -t user@example.test 127.0.0.1:$gw_port
  before=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
  "${tools_cpu[@]}" smtp-source -s 50 -m "$count" -F "$2" -f sender@remote.test -t user@example.test 127.0.0.1:$gw_port
  after=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
  kill $pid; wait $pid 2>/dev/null || true
  echo "($after - $before) * 1000 / $(getconf CLK_TCK) / $count" | bc -l
}

for sample in $samples; do
  wire_form "$sample" "$work/message.eml"
  a=(); b=()
  for _ in $(seq 1 "$rounds"); do
    a+=("$(one_run "$side_a" "$work/message.eml")")
    b+=("$(one_run "$side_b" "$work/message.eml")")
  done
  printf '%s: ms CPU per message  A (%s): %s -> %.3f   B (%s): %s -> %.3f\n' "$(basename "$sample")" \
    "$side_a" "$(printf '%.3f ' "${a[@]}")" "$(median "${a[@]}")" "$side_b" "$(printf '%.3f ' "${b[@]}")" "$(median "${b[@]}")"
done
