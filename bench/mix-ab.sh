#!/usr/bin/env bash
# Gateway CPU per message under the real-world mix, two builds or settings alternated (A B A B ...): the
# gateway offline in clear text behind a PROXY header (as bench/realworld.sh's "offline" target: the corpus
# mix re-signed by a generated population, one session per message, 50 sessions), relaying into smtp-sink.
# Each run starts a fresh gateway, warms it with 3,600 messages, then measures ROUNDS_PER_RUN loads of N
# messages each, reading the process's CPU time (utime + stime). Prints every measurement and the medians.
# Usage: bash bench/mix-ab.sh PAIRS N "A settings" "B settings"     (from the repository root)
#   settings: environment assignments, e.g. "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=70" or
#   "DLL=/path/to/other/build/gateway.dll" (default: this checkout's Release build).
#   PERF=file.data (perf record -g, JIT symbols resolved) or STRACE=file.txt (strace -c): one more run of
#   side B after the pairs, observed and not counted (both slow the process they watch).
#   C=50 (sessions), ROUNDS_PER_RUN=2.
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-3}; count=${2:-3000}; side_a=${3:-X=1}; side_b=${4:-X=1}
command -v smtp-sink >/dev/null || {
  apt-get update -qq
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null
}
work=$(mktemp -d); chmod 755 "$work"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
sink_port=2625; gw_port=2627
dotnet build -c Release src/Gateway -v quiet >/dev/null
dotnet build -c Release bench/Gateway.RealWorld -v quiet >/dev/null
tool=(dotnet bench/Gateway.RealWorld/bin/Release/net10.0/Gateway.RealWorld.dll)
"${tool[@]}" prepare ../shared "$work/population" 50 600 300 >/dev/null
user_flag=(); [ "$(id -u)" -eq 0 ] && user_flag=(-u nobody)
smtp-sink "${user_flag[@]}" -m 4096 127.0.0.1:$sink_port 4096 &
cp -r rules "$work/rules"
source bench/realworld-gateway.sh
gateway_yaml $gw_port no no 9472 > "$work/gateway.yaml"   # realworld.sh's "offline" target

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

one_run() { # settings observe(yes|no) -> one CPU ms per message figure per measured load
  local dll pid observer="" before after line
  dll=$(env $1 bash -c 'echo ${DLL:-}'); dll=${dll:-$PWD/src/Gateway/bin/Release/net10.0/gateway.dll}
  env $1 ${PERF:+${2:+DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0}} dotnet "$dll" run --offline --config "$work/gateway.yaml" 2>"$work/gateway.log" &
  pid=$!
  for _ in $(seq 1 60); do (exec 3<>/dev/tcp/127.0.0.1/$gw_port) 2>/dev/null && break; sleep 0.5; done
  for _ in 1 2 3 4 5 6; do "${tool[@]}" load 127.0.0.1:$gw_port "${C:-50}" 600 clear "$work/population" >/dev/null; done
  if [ -n "$2" ] && [ -n "${PERF:-}" ]; then perf record -F 1999 -g -p $pid -o "$PERF" 2>/dev/null & observer=$!; fi
  if [ -n "$2" ] && [ -n "${STRACE:-}" ]; then strace -c -f -p $pid -o "$STRACE" 2>/dev/null & observer=$!; sleep 1; fi
  for _ in $(seq 1 "${ROUNDS_PER_RUN:-2}"); do
    before=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
    line=$("${tool[@]}" load 127.0.0.1:$gw_port "${C:-50}" "$count" clear "$work/population")
    after=$(awk '{ print $14 + $15 }' /proc/$pid/stat)
    [ "$(sed -n 's/.*accepted=\([0-9]*\).*/\1/p' <<<"$line")" = "$count" ] || { echo "not every message accepted: $line" >&2; exit 1; }
    echo "($after - $before) * 1000 / $(getconf CLK_TCK) / $count" | bc -l | xargs printf '%.3f\n'
  done
  if [ -n "$observer" ]; then kill -INT $observer; wait $observer 2>/dev/null || true; fi
  kill $pid; wait $pid 2>/dev/null || true
}

a=(); b=()
for pair in $(seq 1 "$pairs"); do
  a+=($(one_run "$side_a" ""))
  b+=($(one_run "$side_b" ""))
done
[ -n "${PERF:-}${STRACE:-}" ] && one_run "$side_b" yes >/dev/null
printf 'ms CPU per message, mix at %s sessions  A (%s): %s -> %.3f   B (%s): %s -> %.3f   B/A %.2f\n' "${C:-50}" \
  "$side_a" "${a[*]}" "$(median "${a[@]}")" "$side_b" "${b[*]}" "$(median "${b[@]}")" "$(echo "$(median "${b[@]}") / $(median "${a[@]}")" | bc -l)"
