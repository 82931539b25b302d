#!/usr/bin/env bash
# Performance as it will be lived: DNS on (a loopback authoritative server answering after DELAY ms),
# STARTTLS on every session, a real message mix, the same load against
#   gateway   the gateway with every check on (SPF, DKIM, DMARC, ARC, two ip lists and one domain
#             list, reverse DNS, rules, classifier) relaying to smtp-sink;
#   rspamd    Postfix + the rspamd milter (its DNS modules pointed at the same server) relaying to smtp-sink;
#   bare      Postfix alone (TLS, no filter) relaying to smtp-sink: the bare hop;
#   offline   the same gateway offline (no DNS) in clear text: the target's "gateway offline in clear text";
#   offtls    the same gateway offline with STARTTLS: with offline, splits the gateway's CPU into TLS and the rest.
# CPU: the filter's own processes (the gateway; rspamd's), and "system": every CPU tick of the machine
# during the run less the sender's and the bench DNS server's (so Postfix's smtpd, TLS and queue count
# for the Postfix targets).
# The sender (bench/Gateway.RealWorld load) opens one session per message, names a client address of
# 198.18.1.0/24 (RFC 2544's benchmarking range) in a PROXY header, negotiates STARTTLS with a full
# handshake, and sends corpus messages re-signed with DKIM by a generated population of 50 domains
# (bench/Gateway.RealWorld prepare). Everything is on loopback; nothing leaves the machine: every
# name outside the population's zones is NXDOMAIN from the bench server.
# Usage: bash bench/realworld.sh           (from the repository root; root, installs postfix and rspamd)
#   KEY=rsa|ecdsa (the servers' certificate)  RSPAMD_CACHE=1 (unbound in front of rspamd)  PIN=1 (servers on CPU 1)  DELAY=30 (ms per DNS answer)  TTL=300 (every record's, and negative answers')
#   TARGETS="bare gateway rspamd offline offtls" (a subset for quick A/B runs)  GATEWAY_ENV="VAR=value" (the gateways' environment)
#   CONCURRENCIES="10 50 200 1000"  POPULATION=600 (distinct messages; each level sends max(600, 4 x sessions))
#   RESUME=1 (the sender resumes TLS sessions, as a returning MTA with a session cache does; default: full handshakes)
set -euo pipefail
[ "${TRACE:-0}" = 1 ] && set -x
cd "$(dirname "$0")/.."
source bench/postfix-instance.sh
delay=${DELAY:-30}
concurrencies=${CONCURRENCIES:-"10 50 200 1000"}

need=()
command -v smtp-sink >/dev/null || need+=(postfix)
command -v rspamd >/dev/null || need+=(rspamd)
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
  for instance in bare rspamd; do postfix_instance_stop "$work/$instance"; done
  [ -f "$work/rspamd-run/rspamd.pid" ] && kill "$(cat "$work/rspamd-run/rspamd.pid")" 2>/dev/null || true
  kill $(jobs -p) 2>/dev/null || true
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT
# PIN=1: every server under test (the gateways, both Postfix instances, rspamd) on CPU 1, the sender,
# the DNS server and smtp-sink on CPU 0 — each filter gets a core of its own instead of sharing both
# with the sender's TLS handshakes (the settled way to read bench/e2e.sh too).
server_cpu=(); tools_cpu=()
if [ "${PIN:-0}" = 1 ]; then server_cpu=(taskset -c 1); tools_cpu=(taskset -c 0); fi
dns_port=5390; sink_port=2625; gw_port=2626; offline_port=2627; bare_port=2628; rspamd_port=2629; offtls_port=2630; milter_port=11332

dotnet build -c Release src/Gateway -v quiet >/dev/null
dotnet build -c Release bench/Gateway.RealWorld -v quiet >/dev/null
tool=(dotnet bench/Gateway.RealWorld/bin/Release/net10.0/Gateway.RealWorld.dll)
gateway_dll=$PWD/src/Gateway/bin/Release/net10.0/gateway.dll

ttl=${TTL:-300}
"${tool[@]}" prepare ../shared "$work/population" 50 "${POPULATION:-600}" "$ttl"
"${tools_cpu[@]}" "${tool[@]}" dns $dns_port "$delay" "$work/population/zone.txt" "$ttl" 2>"$work/dns.log" &
dns_pid=$!
# The servers' certificate (gateway and Postfix alike): KEY=rsa (2048 bits, the default) or KEY=ecdsa (P-256).
case ${KEY:-rsa} in
  ecdsa) key_option=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
  *) key_option=(-newkey rsa:2048) ;;
esac
openssl req -x509 "${key_option[@]}" -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 2 -subj /CN=mx.bench.test 2>/dev/null
chmod 644 "$work/key.pem"
# -m: smtp-sink serves 256 connections at once by default, and the gateway holds one downstream
# connection per client transaction (before-queue): beyond 256 sessions the sink, not the gateway, set the pace.
"${tools_cpu[@]}" smtp-sink -u nobody -m 4096 127.0.0.1:$sink_port 4096 &

# --- the gateway: every check on, its lists pointed at the bench zones ---
cp -r rules "$work/rules"
cat > "$work/rules/lists.yaml" <<'YAML'
lists:
  - {name: BENCH_BL1, zone: bl1.lists.test, kind: ip, enabled: true, codes: {127.0.0.2: {symbol: BENCH_BL1, score: 3.0}}}
  - {name: BENCH_BL2, zone: bl2.lists.test, kind: ip, enabled: true, codes: {127.0.0.2: {symbol: BENCH_BL2, score: 3.0}}}
  - {name: BENCH_DBL, zone: dbl.lists.test, kind: domain, enabled: true, codes: {127.0.1.2: {symbol: BENCH_DBL, score: 5.0}}}
YAML
source bench/realworld-gateway.sh
gateway_yaml $gw_port yes yes 9471 > "$work/gateway.yaml"
gateway_yaml $offline_port no no 9472 > "$work/offline.yaml"
gateway_yaml $offtls_port no yes 9473 > "$work/offtls.yaml"
"${server_cpu[@]}" env ${GATEWAY_ENV:-} dotnet "$gateway_dll" run --config "$work/gateway.yaml" 2>"$work/gateway.log" &
gateway_pid=$!
"${server_cpu[@]}" env ${GATEWAY_ENV:-} dotnet "$gateway_dll" run --offline --config "$work/offline.yaml" 2>"$work/offline.log" &
offline_pid=$!
"${server_cpu[@]}" env ${GATEWAY_ENV:-} dotnet "$gateway_dll" run --offline --config "$work/offtls.yaml" 2>"$work/offtls.log" &
offtls_pid=$!

# --- Postfix: two private instances, the bare hop and the one with the rspamd milter ---
postfix_instance_for() { # name port milter(yes|no)
  postfix_instance "$work/$1" "$2" "${server_cpu[@]}" <<CF
myhostname = mx.bench.test
mydestination =
relay_domains = example.test
mynetworks = 127.0.0.255/32
smtpd_relay_restrictions = reject_unauth_destination
relayhost = [127.0.0.1]:$sink_port
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
smtpd_upstream_proxy_protocol = haproxy
smtpd_tls_cert_file = $work/cert.pem
smtpd_tls_key_file = $work/key.pem
smtpd_tls_security_level = may
smtp_tls_security_level = none
default_process_limit = 1500
smtpd_client_connection_count_limit = 0
message_size_limit = 30000000
$([ "$3" = yes ] && printf 'smtpd_milters = inet:127.0.0.1:%s\nmilter_default_action = tempfail\nmilter_protocol = 6\n' $milter_port)
CF
}
postfix_instance_for bare $bare_port no
postfix_instance_for rspamd $rspamd_port yes

# --- rspamd: Debian's configuration, its DNS at the bench server, a milter worker, no Redis ---
# RSPAMD_CACHE=1: a local unbound between rspamd and the bench server, as rspamd's documentation asks for
# (rspamd keeps no DNS cache of its own); the gateway has its own cache and asks the bench server directly.
rspamd_dns=$dns_port
if [ "${RSPAMD_CACHE:-0}" = 1 ]; then
  command -v unbound >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unbound >/dev/null
  mkdir -p "$work/unbound"
  cat > "$work/unbound/unbound.conf" <<CONF
server:
  interface: 127.0.0.1
  port: 5391
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  username: ""
  chroot: ""
  directory: "$work/unbound"
  pidfile: "$work/unbound/unbound.pid"
  use-syslog: no
  do-not-query-localhost: no
  module-config: "iterator"
  qname-minimisation: no
  num-threads: 1
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@$dns_port
CONF
  "${tools_cpu[@]}" unbound -d -c "$work/unbound/unbound.conf" 2>"$work/unbound.log" &
  rspamd_dns=5391
fi
mkdir -p "$work/rspamd-local/local.d" "$work/rspamd-db" "$work/rspamd-run"
chown _rspamd "$work/rspamd-db" "$work/rspamd-run" 2>/dev/null || true
cat > "$work/rspamd-local/local.d/options.inc" <<CONF
dns { nameserver = ["127.0.0.1:$rspamd_dns"]; timeout = 2s; retransmits = 2; }
local_addrs = [];
CONF
cat > "$work/rspamd-local/local.d/worker-proxy.inc" <<CONF
bind_socket = "127.0.0.1:$milter_port";
milter = yes;
timeout = 120s;
upstream "local" { default = yes; self_scan = yes; }
CONF
echo 'bind_socket = "127.0.0.1:11333";' > "$work/rspamd-local/local.d/worker-normal.inc"
echo 'bind_socket = "127.0.0.1:11334";' > "$work/rspamd-local/local.d/worker-controller.inc"
# Accept everything (as the gateway's shadow mode): every message travels the whole path.
echo 'reject = null; add_header = 6; greylist = null; rewrite_subject = null;' > "$work/rspamd-local/local.d/actions.conf"
# The bench lists, as the gateway has them (rspamd's default lists stay on too: NXDOMAIN here).
cat > "$work/rspamd-local/local.d/rbl.conf" <<'CONF'
rbls {
  bench_bl1 { rbl = "bl1.lists.test"; returncodes { BENCH_BL1 = "127.0.0.2"; } }
  bench_bl2 { rbl = "bl2.lists.test"; returncodes { BENCH_BL2 = "127.0.0.2"; } }
  bench_dbl { rbl = "dbl.lists.test"; urls = true; ignore_defaults = true; returncodes { BENCH_DBL = "127.0.1.2"; } }
}
CONF
"${server_cpu[@]}" rspamd -u _rspamd -g _rspamd -c /etc/rspamd/rspamd.conf --var=LOCAL_CONFDIR="$work/rspamd-local" --var=DBDIR="$work/rspamd-db" \
  --var=RUNDIR="$work/rspamd-run" --var=LOGDIR="$work/rspamd-run" > "$work/rspamd.out" 2>&1

wait_port() { for _ in $(seq 1 120); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.5; done; echo "port $1 never opened" >&2; return 1; }
for port in $gw_port $offline_port $offtls_port $bare_port $rspamd_port $milter_port; do wait_port $port; done

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
rspamd_ticks() { local total=0; for pid in $(pgrep -f "rspamd: " || true); do total=$((total + $(cpu_ticks "$pid" 2>/dev/null || echo 0))); done; echo $total; }
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }

busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
filter_ticks() { # name -> CPU ticks of that target's filter process(es) so far
  case $1 in gateway) cpu_ticks $gateway_pid ;; offline) cpu_ticks $offline_pid ;; offtls) cpu_ticks $offtls_pid ;; rspamd) rspamd_ticks ;; *) echo 0 ;; esac
}

# One run: name port mode(tls|clear) concurrency messages -> one line: the sender's figures, CPU per
# message (the filter's, the system's), the bench DNS server's counters for this run.
measure() {
  local name=$1 port=$2 mode=$3 c=$4 n=$5 before after busy0 busy1 dns0 dns1 line sender accepted
  "${tool[@]}" dns-stats $dns_port reset >/dev/null
  before=$(filter_ticks "$name"); busy0=$(busy_ticks); dns0=$(cpu_ticks $dns_pid)
  TIMEFORMAT='%3U %3S'
  { time "${tools_cpu[@]}" "${tool[@]}" load 127.0.0.1:$port "$c" "$n" "$mode" "$work/population" > "$work/line" ; } 2> "$work/time"
  after=$(filter_ticks "$name"); busy1=$(busy_ticks); dns1=$(cpu_ticks $dns_pid)
  line=$(cat "$work/line"); sender=$(awk '{ print $1 + $2 }' "$work/time"); accepted=$(field accepted "$line")
  echo "$name c=$c $line filter_cpu_ms=$(echo "($after - $before) * 1000 / $hz / $accepted" | bc -l | xargs printf '%.2f') system_cpu_ms=$(echo "(($busy1 - $busy0 - $dns1 + $dns0) / $hz - $sender) * 1000 / $accepted" | bc -l | xargs printf '%.2f') dns_$("${tool[@]}" dns-stats $dns_port)" | tee -a "$work/results.txt"
}

# Warm-up: JIT, pools, the model, and the DNS caches of both filters (a real MX runs warm). Then each
# concurrency, every target back to back so they share the machine's weather.
# The first pass of each filter meets empty DNS caches: kept as the "cold" line.
measure gateway $gw_port tls 20 600 | sed 's/^gateway/cold-gateway/' > "$work/cold.txt"
measure rspamd $rspamd_port tls 20 600 | sed 's/^rspamd/cold-rspamd/' >> "$work/cold.txt"
measure offline $offline_port clear 20 600 >/dev/null
measure offtls $offtls_port tls 20 600 >/dev/null
measure bare $bare_port tls 20 300 >/dev/null
: > "$work/results.txt"
for c in $concurrencies; do
  n=$(( c * 4 > 600 ? c * 4 : 600 ))
  for target in ${TARGETS:-bare gateway rspamd offline offtls}; do
    case $target in
      bare) measure bare $bare_port tls "$c" "$n" ;;
      gateway) measure gateway $gw_port tls "$c" "$n" ;;
      rspamd) measure rspamd $rspamd_port tls "$c" "$n" ;;
      offline) measure offline $offline_port clear "$c" "$n" ;;
      offtls) measure offtls $offtls_port tls "$c" "$n" ;;
    esac
  done
  # Peak RSS so far of each gateway process (the offline ones too: offline against offtls is what TLS holds).
  for pair in gateway:$gateway_pid offline:$offline_pid offtls:$offtls_pid; do
    echo "${pair%%:*} rss_mb=$(awk '/VmRSS/ { print $2 / 1024 }' /proc/${pair#*:}/status) peak_rss_mb=$(awk '/VmHWM/ { print $2 / 1024 }' /proc/${pair#*:}/status)" | tee -a "$work/results.txt"
  done
done

echo
echo "Where the gateway's time went (sum of check durations / messages, from its metrics):"
curl -s http://127.0.0.1:9471/metrics | awk '/^gateway_check_duration_seconds_sum/ { split($1, a, "\""); sum[a[2]] = $2 } /^gateway_messages_total/ { n += $2 } END { for (k in sum) printf "  %-14s %7.1f ms\n", k, sum[k] * 1000 / n }' | sort -k2 -g -r
echo
echo "| sessions | bare msg/s | gateway msg/s | Postfix+rspamd msg/s | gateway offline clear msg/s | gateway / rspamd | gateway / offline | p50/p99 ms: gateway | rspamd | bare | CPU ms/msg gateway (offline clear, offline TLS) | CPU ms/msg rspamd | system CPU ms/msg: gateway, rspamd, bare | DNS q/msg: gateway, rspamd | asked again within TTL: gateway, rspamd | slowest reply ms (gateway) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for c in $concurrencies; do
  get() { grep "^$1 c=$c " "$work/results.txt" | head -1 || true; }
  b=$(get bare); g=$(get gateway); r=$(get rspamd); o=$(get offline); t=$(get offtls)
  rate() { field per_second "$1" | grep . || echo 0; }
  ratio() { [ "$2" != 0 ] && echo "$1 / $2" | bc -l | xargs printf '%.2f' || echo -; }
  q() { [ -n "$1" ] && echo "$(field dns_queries "$1") / $(field accepted "$1")" | bc -l | xargs printf '%.1f' || echo -; }
  printf "| %s | %s | %s | %s | %s | %s | %s | %s/%s | %s/%s | %s/%s | %s (%s, %s) | %s | %s, %s, %s | %s, %s | %s, %s | %s |\n" "$c" "$(rate "$b")" "$(rate "$g")" "$(rate "$r")" "$(rate "$o")" \
    "$(ratio "$(rate "$g")" "$(rate "$r")")" "$(ratio "$(rate "$g")" "$(rate "$o")")" \
    "$(field p50_ms "$g")" "$(field p99_ms "$g")" "$(field p50_ms "$r")" "$(field p99_ms "$r")" "$(field p50_ms "$b")" "$(field p99_ms "$b")" \
    "$(field filter_cpu_ms "$g")" "$(field filter_cpu_ms "$o")" "$(field filter_cpu_ms "$t")" "$(field filter_cpu_ms "$r")" \
    "$(field system_cpu_ms "$g")" "$(field system_cpu_ms "$r")" "$(field system_cpu_ms "$b")" "$(q "$g")" "$(q "$r")" "$(field repeats "$g")" "$(field repeats "$r")" "$(field slowest_reply_ms "$g")"
done
echo
echo "Raw lines (cold: the first 600 messages at 20 sessions, DNS caches empty):"; cat "$work/cold.txt" "$work/results.txt"
