#!/usr/bin/env bash
# Fits the shipped weights (rules/weights.yaml) with `gateway rules fit` on mail the shipped model did not
# train on, so the classifier's probabilities are the ones it gives unseen mail: the hold-out fifth of
# `gateway train`'s split (SpamModelTrainer.Split, computed over the files the model was trained from) plus
# the commercial sources added after it was trained (shipping-notices, deltachat-commercial: all unseen).
# Sources and budgets: 2002 ham 0.3 %, modern commercial/transactional ham 2 %, other modern ham (lists,
# bounces, reports) 0.1 %; spam per era and source. The fit prints its figures on folds it did not fit.
# Usage: bash rules/fit-shipped.sh [rules fit options, e.g. --out /tmp/w.yaml]   (from the repository root; ~1 minute; needs ../shared)
#   COMMERCIAL=4% sets the commercial budget (default 2 %, the issue's target; before FROM_NAME_IS_SENDER the fit
#   could not meet 2 % on folds it did not see and shipped 4 %: rules/README.md, "Weights fitted to labelled mail").
set -euo pipefail
cd "$(dirname "$0")/.."
shared=$(realpath ../shared)
work=data/fit; rm -rf "$work/val"; mkdir -p "$work/val"
python3 - "$shared" "$work/val" <<'PY'
import hashlib, os, shutil, sys
shared, out = sys.argv[1], sys.argv[2]
added_later = {"shipping-notices", "deltachat-commercial"}   # not in the shipped model's training set
commercial = {"foff-milter"} | added_later
def target(corpus, c, top):
    if corpus == "corpus":
        return f"{c}-2002"
    if c == "spam":
        return "spam-modern-" + ("phishing" if top == "foff-milter" else "lists")
    return "ham-modern-commercial" if top in commercial else "ham-modern-other"
for c in ("ham", "spam"):
    rows = []
    for corpus in ("corpus", "corpus-modern"):
        base = os.path.join(shared, corpus, c)
        for root, _, files in os.walk(base):
            for name in files:
                if name.startswith("."):
                    continue
                rel = os.path.relpath(os.path.join(root, name), base)
                top = rel.split(os.sep)[0]
                key = hashlib.sha256((c + "/" + rel).encode()).hexdigest().upper()
                rows.append((key, corpus, c, top, os.path.join(base, rel)))
    trained_from = sorted(r for r in rows if r[3] not in added_later)
    hold = trained_from[:round(len(trained_from) * 0.2)] + [r for r in rows if r[3] in added_later]
    for key, corpus, c, top, path in hold:
        folder = os.path.join(out, target(corpus, c, top))
        os.makedirs(folder, exist_ok=True)
        shutil.copy(path, os.path.join(folder, f"{top}-{os.path.basename(path)}"))
PY
printf 'domains: [example.test]\nrules: %s/rules\nclassifier:\n  model: %s/models/spam.zip\nmetrics:\n  listen: ""\n' "$PWD" "$PWD" > "$work/gateway.yaml"
dotnet build -c Release src/Gateway -v quiet >/dev/null
v=$work/val
dotnet src/Gateway/bin/Release/net10.0/gateway.dll rules fit --config "$work/gateway.yaml" --log "$work/masscheck.jsonl" \
  --ham "ham-2002=$v/ham-2002:0.3%" --ham "commercial=$v/ham-modern-commercial:${COMMERCIAL:-2%}" --ham "modern-other=$v/ham-modern-other:0.1%" \
  --spam "spam-2002=$v/spam-2002" --spam "phishing=$v/spam-modern-phishing" --spam "list-spam=$v/spam-modern-lists" "$@"
