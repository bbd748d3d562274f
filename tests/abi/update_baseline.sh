#!/usr/bin/env bash
# Regenerates tests/abi/libagentmetrics.abi, the ABI baseline tests/abi/check_abi.py compares
# every build with (README "ABI baseline"). Commit it with the change it records; an
# incompatible change also changes the soname (soversion in core/meson.build and
# AGM_ABI_VERSION) in the same commit.
#
#   tests/abi/update_baseline.sh [BUILD_DIR]
#
# BUILD_DIR (default build-abi, set up here if missing) must be a build with debug
# information (buildtype debug or debugoptimized); only the shared library is built.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-build-abi}
command -v abidw >/dev/null || { echo "abidw not found: apt-get install abigail-tools" >&2; exit 1; }
[[ -f $dir/build.ninja ]] || meson setup "$dir" -Dbuildtype=debug >/dev/null
meson compile -C "$dir" core/agentmetrics:shared_library >/dev/null
lib=$(find "$dir/core" -maxdepth 1 -type f -name "libagentmetrics.so.*.*.*")
python3 tests/abi/check_abi.py --write "$lib"
