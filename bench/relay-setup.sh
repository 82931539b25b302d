# Shared set-up of the relay benchmarks (e2e.sh, cpu-ab.sh), sourced from the repository root: Postfix's
# smtp-source and smtp-sink (installed if missing), a work folder removed on exit, smtp-sink on
# $sink_port, a gateway config for $gw_port in $work/gateway.yaml (offline, shadow mode so spam travels
# the whole path, shipped rules and model; CLASSIFIER=false leaves the classifier out), a Release build.
corpus=../shared/corpus
# One real ham and one real spam message of the corpus (MESSAGES="file ..." for others).
samples=${MESSAGES:-"$corpus/ham/easy_ham/$(ls $corpus/ham/easy_ham | sed -n 5p) $corpus/spam/spam_2/$(ls $corpus/spam/spam_2 | sed -n 5p)"}

if ! command -v smtp-source >/dev/null; then
  apt-get update -qq
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null
fi

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
sink_port=2625; gw_port=2626
user_flag=(); [ "$(id -u)" -eq 0 ] && user_flag=(-u nobody)
# PIN=1: the load tools (smtp-source, smtp-sink) on CPU 0 and the gateway on CPU 1, in every run: the
# gateway gets a core of its own, as on a machine of its own, instead of sharing both with its load.
tools_cpu=(); gateway_cpu=()
if [ "${PIN:-0}" = 1 ]; then tools_cpu=(taskset -c 0); gateway_cpu=(taskset -c 1); fi
"${tools_cpu[@]}" smtp-sink "${user_flag[@]}" 127.0.0.1:$sink_port 512 &
cat > "$work/gateway.yaml" <<YAML
hostname: gateway.bench.test
listen: ["127.0.0.1:$gw_port"]
domains: [example.test]
mode: shadow   # forward what enforce would reject, so spam samples measure the whole path
downstream: {host: 127.0.0.1, port: $sink_port, tls: none, pool_size: 64}
limits: {max_connections: 1000, max_connections_per_ip: 1000}
rules: $PWD/rules
classifier: {enabled: ${CLASSIFIER:-true}, model: $PWD/models/spam.zip}
metrics: {listen: ""}
${GATEWAY_EXTRA_YAML:-}
YAML
dotnet build -c Release src/Gateway -v quiet >/dev/null
gateway_dll=$PWD/src/Gateway/bin/Release/net10.0/gateway.dll

wait_for_gateway() { for _ in $(seq 1 60); do (exec 3<>/dev/tcp/127.0.0.1/$gw_port) 2>/dev/null && return; sleep 0.5; done; }

# The corpus keeps an mbox "From " line on top; a message on the wire has none.
wire_form() { sed '1{/^From /d}' "$1" > "$2"; }

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
