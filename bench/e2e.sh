#!/usr/bin/env bash
# End-to-end load: Postfix's smtp-source -> gateway -> smtp-sink, against smtp-source -> smtp-sink
# directly (the bare hop, our physical limit here), same message size and count, at several
# concurrencies, measured in the same run. Loopback only; the gateway runs offline (no DNS), with the
# shipped rules and model. Prints msgs/s for each and the ratio gateway/bare.
# Usage: bash bench/e2e.sh [messages]     (from the repository root; ROUNDS=3 pairs per figure)
# Messages: one real ham and one real spam message from ../shared/corpus (MESSAGES="file ...").
#        CLASSIFIER=false bash bench/e2e.sh ...   (the same without the classifier, to see its share)
#        PIN=1 bash bench/e2e.sh ...   (load tools on CPU 0, the gateway alone on CPU 1; see relay-setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${1:-2000}
source bench/relay-setup.sh
"${gateway_cpu[@]}" dotnet "$gateway_dll" run --offline --config "$work/gateway.yaml" 2>"$work/gateway.log" &
wait_for_gateway

run() { # port concurrency file -> msgs/s
  local start end
  start=$(date +%s.%N)
  "${tools_cpu[@]}" smtp-source -s "$2" -m "$messages" -F "$3" -f sender@remote.test -t user@example.test 127.0.0.1:"$1"
  end=$(date +%s.%N)
  echo "$messages / ($end - $start)" | bc -l
}

# Each figure is the median of $rounds back-to-back pairs (bare hop, then gateway): the bare hop alone
# swings by 2-3x between runs on these machines, and a pair measured seconds apart shares the weather.
rounds=${ROUNDS:-3}

for sample in $samples; do
  wire_form "$sample" "$work/message.eml"
  echo "message: $sample ($(wc -c < "$work/message.eml") bytes), median of $rounds pairs"
  # Warm up the gateway (JIT, pools, model) before measuring.
  "${tools_cpu[@]}" smtp-source -s 10 -m 2000 -F "$work/message.eml" -f sender@remote.test -t user@example.test 127.0.0.1:$gw_port
  printf "%-12s %12s %14s %8s   %s\n" concurrency "bare msg/s" "gateway msg/s" "ratio" "ratio of each pair"
  for c in 1 10 50; do
    bares=(); gws=(); ratios=()
    for _ in $(seq 1 "$rounds"); do
      bare=$(run $sink_port $c "$work/message.eml")
      gw=$(run $gw_port $c "$work/message.eml")
      bares+=("$bare"); gws+=("$gw"); ratios+=("$(echo "$gw / $bare" | bc -l)")
    done
    printf "%-12s %12.1f %14.1f %8.3f   %s\n" "$c" "$(median "${bares[@]}")" "$(median "${gws[@]}")" "$(median "${ratios[@]}")" "$(printf '%.2f ' "${ratios[@]}")"
  done
done
