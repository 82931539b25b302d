#!/usr/bin/env bash
# Measures the shipped policy (rules + thresholds + classifier) on ../shared/corpus, offline (no DNS:
# the corpus's terms forbid live DNS checks on it). Prints what happens to ham and spam, on the
# classifier's hold-out fifth (the honest figure) and on the whole corpus.
# Usage: bash rules/measure-corpus.sh   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
printf 'domains: [example.test]\nrules: %s/rules\nclassifier:\n  model: %s/models/spam.zip\nmetrics:\n  listen: ""\n' "$PWD" "$PWD" > "$work/gateway.yaml"
dotnet build -c Release src/Gateway -v quiet >/dev/null
for class in ham spam; do
  dotnet src/Gateway/bin/Release/net10.0/gateway.dll check --offline --json --config "$work/gateway.yaml" "../shared/corpus/$class" > "$work/$class.jsonl"
done
python3 - "$work" <<'PY'
import hashlib, json, os, sys
work, base = sys.argv[1], os.path.abspath("../shared/corpus")
def load(c):
    rows = []
    for line in open(os.path.join(work, c + ".jsonl")):
        o = json.loads(line)
        source = c + "/" + os.path.relpath(os.path.abspath(o["file"]), os.path.join(base, c))
        rows.append((hashlib.sha256(source.encode()).hexdigest().upper(), o["action"]))
    rows.sort()
    n = round(len(rows) * 0.2)   # the same split as `gateway train` (SpamModelTrainer.Split)
    return [a for _, a in rows[:n]], [a for _, a in rows]
(hh, ha), (sh, sa) = load("ham"), load("spam")
for name, ham, spam in (("hold-out", hh, sh), ("whole corpus", ha, sa)):
    c = lambda xs, a: sum(x == a for x in xs)
    print(f"{name}: ham {len(ham)}: accept {c(ham,'accept')}, tag {c(ham,'tag')}, reject {c(ham,'reject')} | "
          f"spam {len(spam)}: accept {c(spam,'accept')}, tag {c(spam,'tag')}, reject {c(spam,'reject')}")
PY
