# shellcheck shell=bash
# root_inside_lib.sh: what the scripts that run INSIDE a root (fresh_root_inside.sh,
# sdist_root_inside.sh) share; they source it from /agm. It counts checks and tells whether
# the root has a network.

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
# show FILE: a captured output, indented, for a failure's explanation.
show() { sed 's/^/    | /' "$1"; }

# expect WHAT EXPECTED_FILE ACTUAL_FILE: byte-for-byte comparison, a unified diff when they differ.
expect() {
  if cmp -s "$2" "$3"; then
    ok "$1"
  else
    bad "$1: output differs from the README (--- README, +++ actual)"
    diff -u --label README --label actual "$2" "$3" | sed 's/^/    /' || true
  fi
}

# check_no_network: only the loopback interface exists, no route leads anywhere, and a
# connection to a public address fails. The connection is tried only after the first two checks
# showed there is no interface and no route, so it can never send a packet.
check_no_network() {
  local interfaces connect
  interfaces=$(awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' /proc/net/dev | paste -sd' ')
  if [[ $interfaces == lo ]] && connect=$(python3 - <<'PY'
import socket, sys
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    udp.connect(("1.1.1.1", 53))  # a route lookup only: UDP's connect sends nothing
    sys.exit("a route to a public address exists")
except OSError:
    pass
try:
    socket.create_connection(("1.1.1.1", 443), timeout=5).close()
    sys.exit("a TCP connection to 1.1.1.1:443 succeeded")
except OSError as error:
    print(error.strerror or error)
PY
  ); then
    ok "no network: interfaces: $interfaces; a connection to 1.1.1.1:443 fails ($connect)"
  else
    bad "the root has network access (interfaces: $interfaces)"
  fi
}

# finish NAME: the closing count; the exit status is the number of failures (capped at 100).
finish() {
  echo "$1: $passed checks passed, $failed failed"
  exit $((failed > 100 ? 100 : failed))
}
