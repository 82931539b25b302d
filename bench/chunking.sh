#!/usr/bin/env bash
# Gateway CPU per relayed message with BDAT (CHUNKING) against DATA, into a real Postfix that offers
# CHUNKING (smtp-sink does not): a private Postfix instance on a loopback port that takes every message
# for example.test into its queue and discards it (transport discard:). Two gateway configs differing
# only in downstream.chunking, alternated by cpu-ab.sh (A B A B ...), ratios from the same go.
# Usage: bash bench/chunking.sh [ROUNDS] [N]       (from the repository root; needs root for Postfix)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; count=${2:-3000}
if ! command -v postfix >/dev/null; then
  apt-get update -qq
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null
fi

source bench/postfix-instance.sh
pf=$(mktemp -d); chmod 755 "$pf"
pf_port=2725
trap 'postfix_instance_stop "$pf"; rm -rf "$pf"' EXIT
# PIN=1 (as for cpu-ab.sh): Postfix's processes share CPU 0 with the load tools; the gateway has CPU 1.
pin=(); [ "${PIN:-0}" = 1 ] && pin=(taskset -c 0)
postfix_instance "$pf" $pf_port "${pin[@]}" <<CF
myhostname = bench-mailbox.example.test
mydestination =
relay_domains = example.test
transport_maps = inline:{example.test=discard:}
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
default_process_limit = 200
CF
for _ in $(seq 1 60); do (exec 3<>/dev/tcp/127.0.0.1/$pf_port) 2>/dev/null && break; sleep 0.5; done
(exec 3<>/dev/tcp/127.0.0.1/$pf_port; printf 'EHLO bench\r\nQUIT\r\n' >&3; timeout 2 cat <&3) | grep -q CHUNKING \
  || { echo "the Postfix instance does not offer CHUNKING"; exit 1; }

configs=$(mktemp -d); trap 'postfix_instance_stop "$pf"; rm -rf "$pf" "$configs"' EXIT
for chunking in true false; do
  cat > "$configs/$chunking.yaml" <<YAML
hostname: gateway.bench.test
listen: ["127.0.0.1:2626"]
domains: [example.test]
mode: shadow
downstream: {host: 127.0.0.1, port: $pf_port, tls: none, pool_size: 64, chunking: $chunking}
limits: {max_connections: 1000, max_connections_per_ip: 1000}
rules: $PWD/rules
classifier: {enabled: true, model: $PWD/models/spam.zip}
metrics: {listen: ""}
YAML
done
WARM=${WARM:-1000} bash bench/cpu-ab.sh "$rounds" "$count" "CONFIG=$configs/true.yaml" "CONFIG=$configs/false.yaml"
echo "Postfix queued and discarded: $(grep -c 'status=sent' "$pf/maillog" || true) messages; commands seen:"
grep -o ' bdat=[0-9]*\| data=[0-9]*' "$pf/maillog" | awk -F= '{ n[$1] += $2 } END { for (c in n) print "  " c ": " n[c] }'
