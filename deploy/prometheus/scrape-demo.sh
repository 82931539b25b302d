#!/usr/bin/env bash
# Shows a real Prometheus (Debian's package) scraping the gateway on loopback, and the alert rules
# loading. Bounded: it starts both, waits for two scrapes, queries, and stops everything.
# Usage: bash deploy/prometheus/scrape-demo.sh    (from the repository root, as root for apt)
set -euo pipefail
cd "$(dirname "$0")/../.."

command -v prometheus >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null; }
command -v promtool >/dev/null && promtool check rules deploy/prometheus/alerts.yaml

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/prometheus.yml" <<YAML
global: {scrape_interval: 2s, evaluation_interval: 2s}
rule_files: [$(pwd)/deploy/prometheus/alerts.yaml]
scrape_configs:
  - job_name: gateway
    static_configs: [{targets: ["127.0.0.1:9464"]}]
YAML

dotnet run --project src/Gateway -c Release -- run --offline >"$work/gateway.log" 2>&1 &
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address=127.0.0.1:9099 >"$work/prometheus.log" 2>&1 &

for _ in $(seq 1 60); do curl -sf 127.0.0.1:9464/health >/dev/null && break; sleep 1; done
sleep 8
echo "up:         $(curl -s '127.0.0.1:9099/api/v1/query?query=up%7Bjob%3D%22gateway%22%7D')"
echo "build info: $(curl -s '127.0.0.1:9099/api/v1/query?query=gateway_build_info')"
echo "rules:      $(curl -s '127.0.0.1:9099/api/v1/rules' | head -c 300)"
