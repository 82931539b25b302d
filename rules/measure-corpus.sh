#!/usr/bin/env bash
# Measures the shipped policy (rules + thresholds + classifier) on ../shared/corpus (2002) and
# ../shared/corpus-modern (2019-2026), offline (no DNS: the corpora's terms forbid live DNS checks on
# them). Prints markdown tables per era and per source: ham flagged (tag or reject) and rejected, spam
# caught at the tag threshold, and the spam caught at the strictest score threshold that flags at most
# 0.3 % of the era's ham. The honest figures are on the classifier's hold-out fifth (the split of
# `gateway train`, SpamModelTrainer.Split); the whole corpora, training part included, follow.
# Usage: bash rules/measure-corpus.sh [RULES_DIR]   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
rules=$(realpath "${1:-rules}")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
printf 'domains: [example.test]\nrules: %s\nclassifier:\n  model: %s/models/spam.zip\nmetrics:\n  listen: ""\n' "$rules" "$PWD" > "$work/gateway.yaml"
dotnet build -c Release src/Gateway -v quiet >/dev/null
for corpus in corpus corpus-modern; do
  for class in ham spam; do
    dotnet src/Gateway/bin/Release/net10.0/gateway.dll check --offline --json --config "$work/gateway.yaml" "../shared/$corpus/$class" > "$work/$corpus-$class.jsonl"
  done
done
python3 - "$work" <<'PY'
import hashlib, json, os, sys
from collections import defaultdict
work = sys.argv[1]
rows = {"ham": [], "spam": []}   # (hash, era, source, action, score)
hits, totals = defaultdict(int), defaultdict(int)
for corpus, era in (("corpus", "2002"), ("corpus-modern", "2019-2026")):
    for c in ("ham", "spam"):
        base = os.path.abspath(f"../shared/{corpus}/{c}")
        for line in open(os.path.join(work, f"{corpus}-{c}.jsonl")):
            o = json.loads(line)
            rel = os.path.relpath(os.path.abspath(o["file"]), base)
            source = f"{corpus}/{c}/" + rel.split(os.sep)[0]
            key = hashlib.sha256((c + "/" + rel).encode()).hexdigest().upper()
            rows[c].append((key, era, source, o["action"], o["score"]))
            for sym in o["symbols"]:
                hits[(sym["name"], era, c)] += 1
            totals[(era, c)] += 1
hold = {}
for c in rows:
    rows[c].sort()
    n = round(len(rows[c]) * 0.2)          # the same split as `gateway train`
    hold[c] = rows[c][:n]

def pct(k, n): return f"{k} ({100.0 * k / n:.1f} %)" if n else "-"
def table(name, ham, spam):
    print(f"\n#### {name}\n")
    print("| era / source | ham | ham flagged | ham rejected | spam | spam caught (tag) | spam rejected | caught at ham flagged <= 0.3 % |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    groups = defaultdict(lambda: ([], []))
    for r in ham: groups[("era", r[1])][0].append(r); groups[("src", r[2])][0].append(r)
    for r in spam: groups[("era", r[1])][1].append(r); groups[("src", r[2])][1].append(r)
    for key in sorted(groups, key=lambda k: (k[0] != "era", k[1])):
        h, s = groups[key]
        flagged = sum(r[3] in ("tag", "reject") for r in h); rejected = sum(r[3] == "reject" for r in h)
        caught = sum(r[3] in ("tag", "reject") for r in s); srej = sum(r[3] == "reject" for r in s)
        strict = "-"
        if key[0] == "era" and h and s:
            scores = sorted((r[4] for r in h), reverse=True)
            allowed = int(len(h) * 0.003)
            t = scores[allowed] + 0.01 if allowed < len(scores) else min(scores)   # flag only above the (allowed+1)-th ham score
            strict = pct(sum(r[4] >= t for r in s), len(s)) + f" (score >= {t:.2f})"
        name = f"**{key[1]}**" if key[0] == "era" else key[1]
        print(f"| {name} | {len(h)} | {pct(flagged, len(h))} | {pct(rejected, len(h))} | {len(s)} | {pct(caught, len(s))} | {pct(srej, len(s))} | {strict} |")
table("Hold-out (not trained on)", hold["ham"], hold["spam"])
table("Whole corpora (training part included: optimistic)", rows["ham"], rows["spam"])
print("\n#### Rule hits on the whole corpora (messages with the symbol)\n")
print("| rule | 2002 ham | 2002 spam | 2019-2026 ham | 2019-2026 spam |")
print("| --- | ---: | ---: | ---: | ---: |")
names = sorted({name for (name, _, _) in hits if not name.startswith(("ML_", "SPF_", "DKIM_", "DMARC_", "ARC_"))})
for name in names:
    cells = [pct(hits[(name, era, c)], totals[(era, c)]) for era in ("2002", "2019-2026") for c in ("ham", "spam")]
    print(f"| {name} | " + " | ".join(cells) + " |")
PY
