#!/usr/bin/env bash
# Soak: 20,000 messages at concurrency 100 through the real gateway process (shipped rules and model,
# offline), into a loopback downstream that injects faults into ~5 % of transactions (451, 554, reset
# mid-DATA, hang past the timeout, and refused connections), then a reconciliation: every message the
# client got 250 for must be downstream exactly once; every other one got 4xx/5xx or no reply at all.
# Exits non-zero on any loss or duplicate. Loopback only.
# Usage: bash bench/soak.sh [messages] [concurrency] [fault_rate]     (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
messages=${1:-20000}
concurrency=${2:-100}
fault_rate=${3:-0.05}
dotnet build -c Release src/Gateway -v quiet >/dev/null
dotnet build -c Release bench/Gateway.Load -v quiet >/dev/null
dotnet bench/Gateway.Load/bin/Release/net10.0/Gateway.Load.dll soak src/Gateway/bin/Release/net10.0/gateway.dll "$messages" "$concurrency" "$fault_rate"
