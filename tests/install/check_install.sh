#!/usr/bin/env bash
# `meson install` into a staging folder, then build a C99 program against the installed
# header and library through pkg-config, shared and static, and run both.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
meson install -C "$build" --destdir "$stage" --no-rebuild >/dev/null
prefix=$(meson introspect "$build" --buildoptions | python3 -c \
  'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
libdir=$(meson introspect "$build" --buildoptions | python3 -c \
  'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "libdir"))')
root="$stage$prefix"
[[ $libdir = /* ]] || libdir="$prefix/$libdir"
export PKG_CONFIG_PATH="$stage$libdir/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$stage"
test -f "$root/include/agentmetrics/metrics_c.h"
# Only what a program that includes the header needs: its include folder, no other package
# (another package's Cflags, or a .pc file the user may not have).
for flag in $(pkg-config --cflags agentmetrics); do
  [[ $flag == -I* ]] || { echo "agentmetrics.pc: unexpected Cflags $flag" >&2; exit 1; }
done
if grep -q '^Requires' "$PKG_CONFIG_PATH/agentmetrics.pc"; then
  echo "agentmetrics.pc requires other packages: $(grep '^Requires' "$PKG_CONFIG_PATH/agentmetrics.pc")" >&2
  exit 1
fi
cc -std=c99 -Wall -Wextra -pedantic -Werror "$here/consumer.c" -o "$stage/consumer" \
  $(pkg-config --cflags --libs agentmetrics)
LD_LIBRARY_PATH="$stage$libdir" "$stage/consumer"
# Static: the archive, then everything `pkg-config --static` says it needs.
static_libs=$(pkg-config --static --libs agentmetrics | sed 's/ -lagentmetrics\b//')
cc -std=c99 "$here/consumer.c" -o "$stage/consumer_static" $(pkg-config --cflags agentmetrics) \
  -Wl,-Bstatic -L"$stage$libdir" -lagentmetrics -Wl,-Bdynamic $static_libs
"$stage/consumer_static"
# The command is installed and runs against the installed library.
LD_LIBRARY_PATH="$stage$libdir" "$root/bin/agentmetrics" --version | grep -q '^agentmetrics '
echo "install: header, pkg-config, shared and static library and the agentmetrics command work"
