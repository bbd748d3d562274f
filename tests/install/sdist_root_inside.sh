#!/bin/bash
# Runs INSIDE the builder root that sdist_root.sh made, as root, with no network, as
#   bash /agm/sdist_root_inside.sh
# with /agm/dist (the sdist), /agm/wheelhouse (its build requirements as wheels) and
# /agm/root_inside_lib.sh beside it.
#
# It checks that the root has no network and none of the project's -dev packages (a compiler it
# must have), then builds and installs the sdist into a venv with pip, offline, with build
# isolation (meson-python, meson, ninja and pybind11 come from the wheelhouse), runs a short
# program and `agentmetrics --version`, and checks that the built binaries need no library but
# the C and C++ runtimes. One line per check passed; the exit status is the number of failures
# (capped at 100), 0 when all passed.
#
#   bash /agm/sdist_root_inside.sh --backend-requires
# with /agm/dist, /agm/wheelhouse (pyproject.toml's build requirements) and /agm/requires (those
# requirements) prints, one a line, what the sdist's build backend adds to them here (PEP 517's
# get_requires_for_build_wheel), asked with those requirements installed and on PATH, as pip's
# isolated build environment has them.
set -euo pipefail

AGM=/agm
export HOME=/root LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC TERM=dumb NO_COLOR=1
BASE_PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin
export PATH=$BASE_PATH
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
TIMEOUT=120        # seconds for one command but the build
BUILD_TIMEOUT=3600 # seconds for pip's build of the sdist (minutes on 2 cores)

# backend_requires: what the build backend adds to the build requirements, one a line.
backend_requires() {
  local venv=/root/probe src=/root/probe-src
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --no-index --find-links "$AGM/wheelhouse" -r "$AGM/requires" \
    </dev/null >&2
  mkdir "$src"
  tar -xzf "$AGM"/dist/agentmetrics_native-*.tar.gz -C "$src" --strip-components=1
  cd "$src"
  PATH=$venv/bin:$BASE_PATH "$venv/bin/python" - <<'EOF'
import importlib, sys, tomllib
with open("pyproject.toml", "rb") as f:
    system = tomllib.load(f)["build-system"]
sys.path[:0] = system.get("backend-path", [])
module, _, attributes = system["build-backend"].partition(":")
backend = importlib.import_module(module)
for attribute in filter(None, attributes.split(".")):
    backend = getattr(backend, attribute)
hook = getattr(backend, "get_requires_for_build_wheel", None)
for requirement in hook(None) if hook else []:
    print(requirement)
EOF
}
if [[ ${1:-} == --backend-requires ]]; then
  backend_requires
  exit 0
fi

# ok, bad, show, expect, check_no_network, finish
# shellcheck source=SCRIPTDIR/root_inside_lib.sh
source "$AGM/root_inside_lib.sh"

# ---------------------------------------------------------------------------------------------
# The root: a compiler, no network, nothing of the project's.
echo "root: Debian $(cat /etc/debian_version) ($(uname -m)), $(python3 --version)," \
  "$(g++ --version 2>/dev/null | head -n 1 || echo 'no g++'), $(nproc) cores"

check_no_network

if command -v gcc >/dev/null && command -v g++ >/dev/null && command -v readelf >/dev/null; then
  ok "a C and C++ compiler: $(gcc --version | head -n 1); readelf from $(readelf --version |
    head -n 1)"
else
  bad "no C and C++ compiler (gcc, g++) or no readelf in the builder root"
fi

# None of the project's -dev packages, nor anything meson finds a system library with.
installed=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" { print $2 }')
forbidden='^(libsimdjson-dev|libsqlite3-dev|libcli11-dev|libcurl.*-dev|libgtest-dev|libgmock-dev|'
forbidden+='googletest|pkg-config|pkgconf|pkgconf-bin|cmake)$'
found=$(grep -E "$forbidden" <<<"$installed" | paste -sd' ' || true)
tools=()
for t in pkg-config pkgconf curl-config cmake; do
  if command -v "$t" >/dev/null; then tools+=("$(command -v "$t")"); fi
done
if [[ -z $found ]] && ((${#tools[@]} == 0)); then
  ok "none of libsimdjson-dev libsqlite3-dev libcli11-dev libcurl*-dev libgtest-dev pkg-config" \
    "pkgconf cmake among the $(wc -l <<<"$installed") installed Debian packages, and no" \
    "pkg-config, pkgconf, curl-config or cmake command; the -dev packages there:" \
    "$(grep -E -- '-dev$' <<<"$installed" | paste -sd' ')"
else
  bad "the builder root has what the build must do without: ${found:-} ${tools[*]}"
fi

# The headers the build would take from the system: nowhere in the root (but in /agm, where the
# sdist carries its own).
headers=$(find / -xdev -path /agm -prune -o \( -name sqlite3.h -o -name simdjson.h \
  -o -path '*/CLI/CLI.hpp' -o -path '*/curl/curl.h' \) -print 2>/dev/null | paste -sd' ')
if [[ -z $headers ]]; then
  ok "no sqlite3.h, simdjson.h, CLI/CLI.hpp or curl/curl.h anywhere in the root"
else
  bad "the builder root has headers the build must do without: $headers"
fi

# ---------------------------------------------------------------------------------------------
# The build: pip, offline, build isolation on, the wheelhouse its only source.
shopt -s nullglob
sdists=("$AGM"/dist/agentmetrics_native-*.tar.gz)
shopt -u nullglob
if ((${#sdists[@]} != 1)); then
  bad "want one sdist in $AGM/dist, found ${#sdists[@]}"
  finish "sdist root"
fi
sdist=${sdists[0]}
venv=/root/venv
log=/root/pip-install.log
if ! python3 -m venv "$venv" >"$log" 2>&1; then
  bad "python3 -m venv failed:"
  show "$log"
  finish "sdist root"
fi
echo "building ${sdist##*/} with pip (-v into $log) ..."
start=$SECONDS
status=0
timeout "$BUILD_TIMEOUT" "$venv/bin/pip" install -v --no-index --find-links "$AGM/wheelhouse" \
  "$sdist" </dev/null >"$log" 2>&1 || status=$?
build_time=$((SECONDS - start))
echo "build time: ${build_time}s (pip install of ${sdist##*/}, $(nproc) cores)"
# What meson said about the libraries and what it warned of (from the build's log).
grep -E "^ *(Run-time dependency|Dependency|Found pkg-config|Found CMake|Library|Executing \
subproject|Subproject|WARNING:) " "$log" | sed -E 's/^ */    meson: /' | sort -u || true
if ((status != 0)); then
  bad "pip install --no-index --find-links $AGM/wheelhouse ${sdist##*/} failed (status $status)" \
    "after ${build_time}s; the end of its log:"
  tail -n 80 "$log" | sed 's/^/    | /'
  finish "sdist root"
fi
# The build requirements pip put in the isolated build environment: all from the wheelhouse.
build_deps=$(sed -n 's|^ *Processing \(/agm/wheelhouse/[^ ]*\.whl\).*|\1|p' "$log" | sort -u)
missing=()
for want in meson_python meson ninja pybind11; do
  grep -q "/${want}-[^/]*\.whl$" <<<"$build_deps" || missing+=("$want")
done
if ((${#missing[@]} == 0)); then
  ok "pip install --no-index --find-links $AGM/wheelhouse ${sdist##*/}: built with build" \
    "isolation in ${build_time}s from the wheelhouse's" \
    "$(paste -sd' ' <<<"${build_deps//"$AGM/wheelhouse/"/}")"
else
  bad "pip built ${sdist##*/} but its log shows no wheel from the wheelhouse for:" \
    "${missing[*]}"
fi

# ---------------------------------------------------------------------------------------------
# The package works, from a folder that is not the source.
cd /root
program='import agentmetrics as am
rec = am.Recorder()
s = rec.session("s1")
s.record_model_call(model="gpt-4o", usage={"input_tokens": 1000, "output_tokens": 100})
print(s.totals().cost.total)'
status=0
out=$(timeout "$TIMEOUT" "$venv/bin/python" -c "$program" 2>/root/python.err </dev/null) ||
  status=$?
if ((status == 0)) && [[ $out == 0.0035 && ! -s /root/python.err ]]; then
  ok "python -c: a model call of gpt-4o (1000 in, 100 out) costs $out"
else
  bad "python -c printed '$out' (status $status), not 0.0035; stderr:"
  show /root/python.err
fi

status=0
out=$(timeout "$TIMEOUT" "$venv/bin/agentmetrics" --version 2>&1 </dev/null) || status=$?
if ((status == 0)) && [[ $out == "agentmetrics "* ]]; then
  ok "agentmetrics --version: $out"
else
  bad "agentmetrics --version (status $status) printed: $out"
fi

# What the built binaries need: the C and C++ runtimes, nothing else (no libsqlite3,
# libsimdjson, libcurl: those are linked in, or absent).
allowed='^(libc\.so\.6|libm\.so\.6|libstdc\+\+\.so\.6|libgcc_s\.so\.1|ld-linux-x86-64\.so\.2|'
allowed+='libpthread\.so\.0|libdl\.so\.2)$'
# Every file the installed distribution has (its RECORD), as paths under site-packages.
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')
elves=0
while IFS= read -r -d '' file; do
  [[ -f $file && $(head -c 4 "$file" | od -An -c | tr -d ' ') == 177ELF ]] || continue
  elves=$((elves + 1))
  needed=$(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd' ')
  others=$(tr ' ' '\n' <<<"$needed" | grep -Ev "$allowed" | paste -sd' ' || true)
  if [[ -z $others ]]; then
    ok "${file#"$site"/} needs only $needed"
  else
    bad "${file#"$site"/} needs $others (all it needs: $needed)"
  fi
done < <("$venv/bin/python" -c '
import importlib.metadata, sys
for f in sorted(importlib.metadata.files("agentmetrics-native") or []):
    sys.stdout.write(str(f.locate().resolve()) + "\0")')
((elves > 0)) || bad "no ELF file (the extension, the command) among the installed files of" \
  "agentmetrics-native in $site"

finish "sdist root"
