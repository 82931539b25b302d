#!/usr/bin/env bash
# Peak resident memory of the gateway process: 200 concurrent sessions each sending a 100 KB message
# (held in flight together: the downstream waits 2 s before each 250), then one 50 MB message, as
# growth over the resident size just before it. Classifier on, offline.
# Usage: bash bench/memory.sh [sessions] [message_kb] [big_mb]     (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release src/Gateway -v quiet >/dev/null
dotnet build -c Release bench/Gateway.Load -v quiet >/dev/null
dotnet bench/Gateway.Load/bin/Release/net10.0/Gateway.Load.dll memory src/Gateway/bin/Release/net10.0/gateway.dll "${1:-200}" "${2:-100}" "${3:-50}"
