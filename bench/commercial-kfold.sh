#!/usr/bin/env bash
# The shipped policy's false positives on modern commercial and transactional ham, estimated by k-fold
# over all of it (foff-milter, shipping-notices, deltachat-commercial: 201 messages), since the model's
# own hold-out holds too few of them (26) to see a rate of a few per cent. For each fold: a model is
# trained by `gateway train` on everything else (both corpora, every other ham source, the other folds'
# commercial mail), then the fold is judged offline by that model with this checkout's rules.
# Folds are by a hash of each file's path, so reruns compare. Writes data/bench/kfold/REPORT.md.
# Usage: bash bench/commercial-kfold.sh [FOLDS=5] [ONLY=fold numbers, e.g. "0 1"]   (from the repository root)
#   REPORT_ONLY=1: no training; judge the folds whose models exist again with this checkout's rules and report.
#   RULES=DIR SHORT_TEXT_WORDS=0 REPORT=REPORT-before.md: judge with another policy (a baseline) instead.
# Cost: one training per fold (~15-20 min each on 2 cores). Results: bench/RESULTS.md, "Commercial ham by k-fold".
set -euo pipefail
cd "$(dirname "$0")/.."
folds=${1:-5}; only=${2:-$(seq 0 $((folds - 1)))}
shared=$(realpath ../shared)
work=data/bench/kfold; mkdir -p "$work"
dotnet build -c Release src/Gateway -v quiet >/dev/null
gw=src/Gateway/bin/Release/net10.0/gateway.dll
commercial=(foff-milter shipping-notices deltachat-commercial)
others=()
for dir in "$shared"/corpus-modern/ham/*/; do
  name=$(basename "$dir")
  [[ " ${commercial[*]} " == *" $name "* ]] || others+=(--ham "$dir")
done

for k in $only; do
  fold="$work/fold$k"
  if [ "${REPORT_ONLY:-0}" = 1 ]; then
    [ -f "$fold/spam.zip" ] || continue
  else
  rm -rf "$fold"; mkdir -p "$fold/train" "$fold/test"
  for source in "${commercial[@]}"; do
    for file in "$shared/corpus-modern/ham/$source"/*; do
      rel="$source/$(basename "$file")"
      bucket=$(( 0x$(printf '%s' "$rel" | sha256sum | cut -c1-8) % folds ))
      target=$([ "$bucket" -eq "$k" ] && echo test || echo train)
      mkdir -p "$fold/$target/$source"; cp "$file" "$fold/$target/$source/"
    done
  done
  train_args=(--ham "$shared/corpus/ham" "${others[@]}")
  for source in "${commercial[@]}"; do train_args+=(--ham "$fold/train/$source"); done
  echo "fold $k: training on everything but $(find "$fold/test" -type f | wc -l) commercial messages" >&2
  dotnet "$gw" train "${train_args[@]}" --spam "$shared/corpus/spam" --spam "$shared/corpus-modern/spam" --out "$fold/spam.zip" --force > "$fold/train.log" 2>&1
  fi
  printf 'domains: [example.test]\nrules: %s\nclassifier:\n  model: %s/%s/spam.zip\n  short_text_words: %s\nmetrics:\n  listen: ""\n' "$(realpath "${RULES:-rules}")" "$PWD" "$fold" "${SHORT_TEXT_WORDS:-40}" > "$fold/gateway.yaml"
  for source in "${commercial[@]}"; do
    [ -d "$fold/test/$source" ] && dotnet "$gw" check --offline --json --config "$fold/gateway.yaml" "$fold/test/$source" 2>/dev/null
  done > "$fold/verdicts.jsonl"
done

python3 - "$work" "$folds" "${REPORT:-REPORT.md}" <<'PY'
import json, os, sys, collections
work, folds, report = sys.argv[1], int(sys.argv[2]), sys.argv[3]
total, flagged, rejected, why = collections.Counter(), collections.Counter(), collections.Counter(), collections.Counter()
rows = []
for k in range(folds):
    path = os.path.join(work, f"fold{k}", "verdicts.jsonl")
    if not os.path.exists(path):
        continue
    for line in open(path):
        o = json.loads(line)
        source = o["file"].split("/test/")[1].split("/")[0]
        total[source] += 1
        if o["action"] in ("tag", "reject"):
            flagged[source] += 1
            rejected[source] += o["action"] == "reject"
            names = [s["name"] for s in o["symbols"] if s["score"] > 0]
            why["classifier alone" if names == ["ML_SPAM"] else "+".join(sorted(names))] += 1
            rows.append((k, source, os.path.basename(o["file"]), o["action"], o["score"], names))
out = open(os.path.join(work, report), "w")
def emit(text=""):
    print(text); out.write(text + "\n")
emit("| source | messages | flagged (tag or reject) | rejected |")
emit("| --- | ---: | ---: | ---: |")
for source in sorted(total):
    emit(f"| {source} | {total[source]} | {flagged[source]} ({100.0 * flagged[source] / total[source]:.1f} %) | {rejected[source]} |")
all_n, all_f = sum(total.values()), sum(flagged.values())
emit(f"| **all commercial** | {all_n} | {all_f} ({100.0 * all_f / max(all_n, 1):.1f} %) | {sum(rejected.values())} |")
emit()
emit("What flagged them: " + ", ".join(f"{reason} {n}" for reason, n in why.most_common()))
emit()
for row in rows:
    emit(f"- fold {row[0]} {row[1]}/{row[2]}: {row[3]} {row[4]:.2f} {' '.join(row[5])}")
PY
