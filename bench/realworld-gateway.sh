# The gateway's configuration in the real-world benchmarks (sourced from the repository root by realworld.sh
# and mix-ab.sh, so both measure the same gateway): every check on, PROXY headers from loopback, relaying in
# shadow mode to smtp-sink on $sink_port, the rules copied to $work/rules, DNS at $dns_port when asked for,
# the certificate $work/cert.pem / key.pem when TLS is.
gateway_yaml() { # port dns(yes|no) tls(yes|no) metrics-port
  cat <<YAML
hostname: mx.bench.test
listen: ["127.0.0.1:$1"]
proxy_protocol: true
proxy_protocol_from: [127.0.0.0/8]
domains: [example.test]
mode: shadow   # relay what enforce would reject: every message travels the whole path
downstream: {host: 127.0.0.1, port: $sink_port, tls: none, pool_size: 64}
limits: {max_connections: 2000, max_connections_per_ip: 2000}
dns: {servers: [$([ "$2" = yes ] && echo "\"127.0.0.1:$dns_port\"")], timeout: 2s}
rules: $work/rules
classifier: {enabled: true, model: $PWD/models/spam.zip}
metrics: {listen: "127.0.0.1:$4"}
$([ "$3" = yes ] && printf 'tls: {certificate: %s, key: %s}' "$work/cert.pem" "$work/key.pem")
YAML
}
