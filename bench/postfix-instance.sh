# A private Postfix instance for the benchmarks (sourced from the repository root): its own folder
# (etc/, queue/, data/, maillog), smtpd on 127.0.0.1:PORT, Debian's master.cf with nothing chrooted.
# The lines every instance needs are written here; the caller's own main.cf lines come on stdin.
#   postfix_instance DIR PORT [PREFIX...] <<CF ... CF    (PREFIX: e.g. taskset -c 1, run before postfix)
#   postfix_instance_stop DIR
postfix_instance() {
  local dir=$1 port=$2
  shift 2
  mkdir -p "$dir/etc" "$dir/data" "$dir/queue"
  chown postfix "$dir/data"
  {
    cat <<CF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
biff = no
CF
    cat
  } > "$dir/etc/main.cf"
  awk -v port="$port" '/^#/ || NF < 8 || /^[ \t]/ { print; next } $1 == "smtp" && $2 == "inet" { print "127.0.0.1:" port " inet n - n - - smtpd"; next } { $5 = "n"; print }' \
    /etc/postfix/master.cf > "$dir/etc/master.cf"
  "$@" /usr/sbin/postfix -c "$dir/etc" start >/dev/null
}

postfix_instance_stop() { [ -d "$1/etc" ] && /usr/sbin/postfix -c "$1/etc" stop >/dev/null 2>&1 || true; }
