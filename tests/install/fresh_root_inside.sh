#!/bin/bash
# Runs INSIDE the bare Debian root that fresh_root.sh made, as root, with no network, as
#   bash /agm/fresh_root_inside.sh
# with /agm/dist (the build's wheels and npm tarball), /agm/readme (what readme_blocks.py took
# out of the README: quick starts, their expected output, console commands) and
# /agm/root_inside_lib.sh beside it.
#
# It checks that the root really is bare (no network, no compiler, no -dev package), then
# installs the Python wheel and the npm package from /agm/dist the way a user would, runs the
# README's quick starts and console commands and compares their output byte for byte. One line
# per check passed, a unified diff for each mismatch; the exit status is the number of failures
# (capped at 100), 0 when all passed.
set -euo pipefail

AGM=/agm
DIST=$AGM/dist
README=$AGM/readme
export HOME=/root LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC TERM=dumb NO_COLOR=1
BASE_PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin
export PATH=$BASE_PATH
# pip and npm: no version check, no audit, no funding notice, never the network (there is none:
# this makes a missing file fail at once instead of after npm's retries).
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
export npm_config_offline=true npm_config_update_notifier=false npm_config_audit=false \
  npm_config_fund=false npm_config_loglevel=warn
TIMEOUT=120  # seconds for one command; nothing here should take more than a few

# ok, bad, show, expect, check_no_network, finish
# shellcheck source=SCRIPTDIR/root_inside_lib.sh
source "$AGM/root_inside_lib.sh"

# ---------------------------------------------------------------------------------------------
# The root is bare.
echo "root: Debian $(cat /etc/debian_version) ($(uname -m)), $(python3 --version)," \
  "Node.js $(node --version), npm $(npm --version)"

check_no_network

compilers=()
for c in cc gcc g++ c++ clang clang++ x86_64-linux-gnu-gcc; do
  if command -v "$c" >/dev/null; then compilers+=("$(command -v "$c")"); fi
done
if ((${#compilers[@]} == 0)); then
  ok "no C or C++ compiler (cc gcc g++ c++ clang clang++ x86_64-linux-gnu-gcc)"
else
  bad "a compiler is installed: ${compilers[*]}"
fi

dev_packages=$(dpkg -l | awk '$1 == "ii" && $2 ~ /-dev(:|$)/ { print $2 }' | tr '\n' ' ')
if [[ -z $dev_packages ]]; then
  ok "no -dev package among the $(dpkg -l | grep -c '^ii') installed Debian packages"
else
  bad "-dev packages are installed: $dev_packages"
fi

# ---------------------------------------------------------------------------------------------
# console_blocks LANG DIR [PATH]: the README's console commands of `### LANG` in DIR, each with
# bash, stdout and stderr merged, compared with the lines under it.
console_blocks() {
  local lang=$1 dir=$2 path=${3:-$BASE_PATH} entry cmd where status
  for entry in "$README/$lang"/console/*/; do
    [[ -f $entry/cmd ]] || continue
    cmd=$(<"$entry/cmd")
    where=$(<"$entry/line")
    status=0
    (cd "$dir" && PATH=$path timeout "$TIMEOUT" bash -c "$cmd") </dev/null >"$entry/actual" 2>&1 ||
      status=$?
    expect "$lang: \$ $cmd ($where) prints what the README shows" "$entry/expected" "$entry/actual"
    if ((status != 0)); then echo "    (exit status $status)"; fi
  done
}

# run_quick_start LANG DIR PATH COMMAND...: COMMAND, run in DIR with PATH, must exit 0, write
# nothing to stderr, and print exactly the README's text block.
CAPTURE=/root/capture
mkdir -p "$CAPTURE"
run_quick_start() {
  local lang=$1 dir=$2 path=$3 status=0
  shift 3
  (cd "$dir" && PATH=$path timeout "$TIMEOUT" "$@") </dev/null >"$CAPTURE/stdout" \
    2>"$CAPTURE/stderr" || status=$?
  if ((status != 0)); then
    bad "$lang quick start: '$*' in $dir exited with status $status; stderr:"
    show "$CAPTURE/stderr"
    return 1
  fi
  if [[ -s $CAPTURE/stderr ]]; then
    bad "$lang quick start: '$*' in $dir wrote to stderr:"
    show "$CAPTURE/stderr"
  fi
  expect "$lang quick start: '$*' in $dir prints the README's text block" \
    "$README/$lang/quickstart.out" "$CAPTURE/stdout"
}

# ---------------------------------------------------------------------------------------------
# Python: a venv from Debian's python3, the wheel from /agm/dist (pip chooses the one whose tags
# this interpreter supports), the README's quick start and console commands.
python_checks() {
  local tag wheels names name log=/root/pip-install.log folder=/root/python-quickstart
  tag=$(python3 -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
  wheels=$(find "$DIST" -maxdepth 1 -name '*.whl' -printf '%f\n' | sort | paste -sd' ')
  if [[ -z $wheels ]]; then
    bad "python: no wheel in the build's dist folder"
    return
  fi
  # The distribution to install: what the README's `pip install` names, else the wheels' own.
  names=$(paste -sd' ' "$README/python/install")
  if [[ -z $names ]]; then
    names=$(for w in $wheels; do echo "${w%%-*}"; done | sort -u | paste -sd' ')
  fi
  if ! python3 -m venv /root/venv >"$log" 2>&1; then
    bad "python: python3 -m venv failed:"
    show "$log"
    return
  fi
  # shellcheck disable=SC2086  # names are words
  if ! /root/venv/bin/pip install --no-index --only-binary=:all: --find-links "$DIST" $names \
    >"$log" 2>&1; then
    bad "python: pip install --no-index $names from the wheels ($wheels) into a venv of" \
      "Debian's $(python3 --version) ($tag) failed:"
    show "$log"
    return
  fi
  ok "python: pip install --no-index $names into a venv of Debian's $(python3 --version)" \
    "($tag): $(sed -n 's|^Processing \(.*/\)\{0,1\}\([^/ ]*\.whl\).*|\2|p' "$log" | paste -sd' ')"
  mkdir "$folder"
  cp "$README/python/quickstart.py" "$folder/"
  run_quick_start python "$folder" "/root/venv/bin:$BASE_PATH" python quickstart.py || return 0
  console_blocks python "$folder" "/root/venv/bin:$BASE_PATH"
}

# ---------------------------------------------------------------------------------------------
# Node: the official Node.js build in /usr/local, the npm tarball from /agm/dist installed into a
# fresh package (install scripts on, as npm does by default), the quick start as an ES module and
# the console commands; then a second package installed with --ignore-scripts must still load it.
node_checks() {
  local names tarball tgz name want folder=/root/node-quickstart bare=/root/node-ignore-scripts
  local -A by_name=()
  for tgz in "$DIST"/*.tgz; do
    [[ -f $tgz ]] || continue
    if ! name=$(tar -xzOf "$tgz" package/package.json |
      node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).name'); then
      bad "node: $(basename "$tgz") has no readable package/package.json"
      continue
    fi
    by_name[$name]=$tgz
  done
  if ((${#by_name[@]} == 0)); then
    bad "node: no npm tarball (*.tgz) in the build's dist folder"
    return
  fi
  names=$(paste -sd' ' "$README/node/install")
  [[ -n $names ]] || names=${!by_name[*]}
  tarball=()
  for want in $names; do
    if [[ -z ${by_name[$want]:-} ]]; then
      bad "node: the README installs '$want' but the dist folder has only: ${!by_name[*]}"
      return
    fi
    tarball+=("${by_name[$want]}")
  done
  name=${names%% *}
  ok "node: $(node --version) and npm $(npm --version) from /usr/local; package $names:" \
    "$(basename -a "${tarball[@]}" | paste -sd' ')"

  mkdir "$folder"
  if ! (cd "$folder" && npm init -y >/dev/null && timeout "$TIMEOUT" npm install --offline \
    --no-audit --no-fund "${tarball[@]}") >/root/npm-install.log 2>&1; then
    bad "node: npm install --offline ${tarball[*]} failed:"
    show /root/npm-install.log
    return
  fi
  ok "node: npm install --offline --no-audit --no-fund (install scripts run) in $folder"
  cp "$README/node/quickstart.mjs" "$folder/"
  if run_quick_start node "$folder" "$BASE_PATH" node quickstart.mjs; then
    console_blocks node "$folder"
  fi

  # Without the install script: the package must work as it was packed.
  mkdir "$bare"
  if ! (cd "$bare" && npm init -y >/dev/null && timeout "$TIMEOUT" npm install --offline \
    --ignore-scripts --no-audit --no-fund "${tarball[@]}") >/root/npm-install-bare.log 2>&1; then
    bad "node: npm install --offline --ignore-scripts ${tarball[*]} failed:"
    show /root/npm-install-bare.log
    return
  fi
  ok "node: npm install --offline --ignore-scripts in $bare"
  if (cd "$bare" && timeout "$TIMEOUT" node -e '
      const m = require(process.argv[1]);
      if (Object.keys(m).length === 0) throw new Error("require() gave an empty module");' \
    "$name") >"$bare/.log" 2>&1; then
    ok "node: require(\"$name\") works without the install script"
  else
    bad "node: require(\"$name\") fails without the install script:"
    show "$bare/.log"
  fi
  cp "$README/node/quickstart.mjs" "$bare/"
  run_quick_start node "$bare" "$BASE_PATH" node quickstart.mjs || true
}

python_checks
node_checks
finish "fresh root"
