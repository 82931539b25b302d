#!/usr/bin/env bash
# Fuzzing for a bounded time: the MIME/feature path (mutated messages through every check) and the
# SMTP command path (random pipelined sessions over real sockets), with CsCheck. CI runs a few hundred
# cases of each plus the regression corpus (tests/fuzz/mime, tests/fuzz/smtp) as ordinary tests.
# A failing input is saved, shrunk, under tests/fuzz/findings/KIND/ (not committed): move the smallest
# into tests/fuzz/KIND/ with the fix, and CI keeps it from coming back.
# Usage: bash tests/fuzz.sh [seconds per target]      (default 300; from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
dotnet build Gateway.sln -v quiet >/dev/null
status=0
FUZZ_SECONDS=$seconds dotnet test tests/Gateway.Core.Tests --no-build --filter "FullyQualifiedName~MimePathFuzzTests.Mutated" || status=1
FUZZ_SECONDS=$seconds dotnet test tests/Gateway.IntegrationTests --no-build --filter "FullyQualifiedName~SmtpFuzzTests.Random" || status=1
if [ -d tests/fuzz/findings ]; then echo "findings:"; find tests/fuzz/findings -type f | sort | head -20; fi
exit $status
