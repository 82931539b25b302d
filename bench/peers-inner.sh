#!/usr/bin/env bash
# The measuring half of bench/peers.sh, run inside its private network namespace. Not for direct use.
set -euo pipefail
ip link set lo up
msgs=$(ls "$WORK"/msgs | wc -l)
hz=$(getconf CLK_TCK)

# CPU seconds (user + system, reaped children included) of every process whose command matches $1.
cpu_of() {
  local total=0 pid
  for pid in $(pgrep -f "$1" || true); do
    [ -r "/proc/$pid/stat" ] || continue
    total=$((total + $(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pid/stat")))
  done
  echo "$total"
}

wait_port() { for _ in $(seq 1 120); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.5; done; echo "port $1 never opened" >&2; return 1; }

# --- rspamd: the Debian configuration with every network-using module off ---
cfg=$WORK/rspamd
cp -r /etc/rspamd "$cfg"
mkdir -p "$cfg/local.d" "$WORK/rspamd-db" "$WORK/rspamd-run"
for module in rbl spf dkim dmarc arc asn fuzzy_check phishing url_redirector mx_check emails dkim_signing arc_signing neural ratelimit greylist replies history_redis reputation bayes_expiry dcc external_services metadata_exporter clickhouse elastic; do
  echo "enabled = false;" > "$cfg/local.d/$module.conf"
done
cat > "$cfg/local.d/options.inc" <<CONF
dns { nameserver = ["127.0.0.1:1"]; timeout = 0.1s; retransmits = 1; }
CONF
echo 'bind_socket = "127.0.0.1:11333"; count = 2;' > "$cfg/local.d/worker-normal.inc"
echo 'bind_socket = "127.0.0.1:11334";' > "$cfg/local.d/worker-controller.inc"
echo 'enabled = false;' > "$cfg/local.d/worker-proxy.inc"
echo 'enabled = false;' > "$cfg/local.d/worker-fuzzy.inc"
rspamd -i -f -c "$cfg/rspamd.conf" --var CONFDIR="$cfg" --var LOCAL_CONFDIR="$cfg" --var DBDIR="$WORK/rspamd-db" \
  --var RUNDIR="$WORK/rspamd-run" --var LOGDIR="$WORK" >"$WORK/rspamd.log" 2>&1 &
rspamd_pid=$!
wait_port 11333
rspamc -h 127.0.0.1:11333 "$WORK"/msgs/* >/dev/null 2>&1 || true   # warm-up pass
before=$(cpu_of "rspamd")
start=$(date +%s.%N)
rspamc -h 127.0.0.1:11333 -n 2 "$WORK"/msgs/* >"$WORK/rspamc.out"
rspamd_wall=$(echo "$(date +%s.%N) - $start" | bc)
rspamd_cpu=$(echo "($(cpu_of "rspamd") - $before) / $hz" | bc -l)
kill "$rspamd_pid"; wait "$rspamd_pid" 2>/dev/null || true

# --- SpamAssassin: spamd with local tests only (-L), two children ---
spamd -L -x -u nobody --listen=127.0.0.1:7830 -m 2 --min-children=2 --max-children=2 --pidfile="$WORK/spamd.pid" >"$WORK/spamd.log" 2>&1 &
spamd_pid=$!
wait_port 7830
sleep 2
spamc -d 127.0.0.1 -p 7830 -c <"$(ls "$WORK"/msgs/* | sed -n 1p)" >/dev/null || true   # warm-up
before=$(cpu_of "spamd")
start=$(date +%s.%N)
ls "$WORK"/msgs/* | xargs -P 2 -I{} sh -c 'spamc -d 127.0.0.1 -p 7830 -c < "{}" > /dev/null || true'
spamd_wall=$(echo "$(date +%s.%N) - $start" | bc)
spamd_cpu=$(echo "($(cpu_of "spamd") - $before) / $hz" | bc -l)
kill "$spamd_pid"; wait "$spamd_pid" 2>/dev/null || true

# --- gateway check --offline: one process over the same files (model load and JIT included) ---
/usr/bin/time -f "%e %U %S" -o "$WORK/gateway.time" dotnet "$GATEWAY_DLL" check --offline --config "$CONFIG" "$WORK/msgs" >"$WORK/gateway.out"
read -r gateway_wall gateway_user gateway_sys <"$WORK/gateway.time"
gateway_cpu=$(echo "$gateway_user + $gateway_sys" | bc -l)
# The same, explaining only spam (as `gateway run` does by default) instead of every verdict.
/usr/bin/time -f "%e %U %S" -o "$WORK/gateway-spam.time" dotnet "$GATEWAY_DLL" check --offline --explain spam --config "$CONFIG" "$WORK/msgs" >/dev/null
read -r spam_wall spam_user spam_sys <"$WORK/gateway-spam.time"
spam_cpu=$(echo "$spam_user + $spam_sys" | bc -l)
# The fixed start-up (model load, JIT) measured alone on one message, so the steady rate can be shown too.
/usr/bin/time -f "%e %U %S" -o "$WORK/startup.time" dotnet "$GATEWAY_DLL" check --offline --config "$CONFIG" "$(ls "$WORK"/msgs/* | sed -n 1p)" >/dev/null
read -r _ startup_user startup_sys <"$WORK/startup.time"
startup_cpu=$(echo "$startup_user + $startup_sys" | bc -l)

# Steady state: the same files three times over in one process, minus the single pass above. What is
# left is the marginal cost of 2 x $msgs more scans with start-up, model load and JIT (tier-up
# included) taken out, as rspamd's and spamd's warmed-up workers are measured.
mkdir -p "$WORK/msgs3"
for round in 1 2 3; do for f in "$WORK"/msgs/*; do ln -s "$f" "$WORK/msgs3/$round-$(basename "$f")"; done; done
/usr/bin/time -f "%e %U %S" -o "$WORK/gateway3.time" dotnet "$GATEWAY_DLL" check --offline --explain spam --config "$CONFIG" "$WORK/msgs3" >/dev/null
read -r _ triple_user triple_sys <"$WORK/gateway3.time"
triple_cpu=$(echo "$triple_user + $triple_sys" | bc -l)

rate() { echo "scale=1; $msgs / $1" | bc -l; }
gm=$(echo "scale=1; 2 * $msgs / ($triple_cpu - $spam_cpu)" | bc -l); g=$(rate "$gateway_cpu"); ge=$(rate "$spam_cpu"); gs=$(echo "scale=1; ($msgs - 1) / ($gateway_cpu - $startup_cpu)" | bc -l); r=$(rate "$rspamd_cpu"); s=$(rate "$spamd_cpu")
echo "peers: $msgs messages (half ham, half spam), 2 cores, network namespace with loopback only"
printf '%-34s %10s %10s %14s\n' "scanner" "wall s" "cpu s" "msgs/cpu-s"
printf '%-34s %10.2f %10.2f %14s\n' "rspamd 3.4 (rspamc -n 2)" "$rspamd_wall" "$rspamd_cpu" "$r"
printf '%-34s %10.2f %10.2f %14s\n' "SpamAssassin 4.0 (spamd -L, 2)" "$spamd_wall" "$spamd_cpu" "$s"
printf '%-34s %10.2f %10.2f %14s\n' "gateway check --offline" "$gateway_wall" "$gateway_cpu" "$g"
printf '%-34s %10.2f %10.2f %14s\n' "  ... --explain spam (run's default)" "$spam_wall" "$spam_cpu" "$ge"
printf '%-34s %10s %10.2f %14s\n' "  of which start-up (1 message)" "" "$startup_cpu" ""
printf '%-34s %10s %10s %14s\n' "  gateway steady (start-up out)" "" "" "$gs"
printf '%-34s %10s %10.2f %14s\n' "  ... x3 in one process (explain spam)" "" "$triple_cpu" ""
printf '%-34s %10s %10s %14s\n' "  gateway marginal (x3 minus x1)" "" "" "$gm"
echo "ratios per core, steady state (marginal): gateway/rspamd $(echo "scale=2; $gm / $r" | bc -l), gateway/SpamAssassin $(echo "scale=2; $gm / $s" | bc -l)"
echo "ratios per core: gateway/rspamd $(echo "scale=2; $g / $r" | bc -l) (steady $(echo "scale=2; $gs / $r" | bc -l); explain spam $(echo "scale=2; $ge / $r" | bc -l)), gateway/SpamAssassin $(echo "scale=2; $g / $s" | bc -l) (steady $(echo "scale=2; $gs / $s" | bc -l); explain spam $(echo "scale=2; $ge / $s" | bc -l))"
echo "verdicts: gateway $(grep -c ': reject\|: tag' "$WORK/gateway.out") of $msgs tagged or rejected; rspamd $(grep -c 'Action: \(reject\|add header\|rewrite subject\)' "$WORK/rspamc.out") of $msgs"
