#!/usr/bin/env bash
# Runs the libFuzzer harnesses of tests/fuzz, each for a fixed time, from seeds generated from
# the fixtures (make_corpus.py) plus the corpus kept in the build folder from earlier runs.
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS [HARNESS...]
#
# BUILD_DIR was set up with CC=clang CXX=clang++ -Dfuzz=true -Db_sanitize=address,undefined
# (./run test makes build-fuzz); HARNESS: usage, prices, journal, invocation (default: all). Prints the
# executions of each; exits 1 if any harness found a crash, a sanitizer report, a leak or a
# timeout (the input is kept as BUILD_DIR/fuzz-artifacts/<harness>/crash-* etc.: rerun it with
# BUILD_DIR/tests/fuzz/fuzz_<harness> FILE). AGM_FUZZ_WORK: another folder for the seeds, corpus,
# artifacts and logs than BUILD_DIR.
set -uo pipefail
if (($# < 2)); then
  sed -n '2,13p' "$0" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
seconds=$2
shift 2
harnesses=("$@")
((${#harnesses[@]})) || harnesses=(usage prices journal invocation)
here=$(cd "$(dirname "$0")" && pwd)

work=${AGM_FUZZ_WORK:-$build}
mkdir -p "$work"
seeds=$work/fuzz-seeds
rm -rf "$seeds"
python3 "$here/make_corpus.py" "$seeds" >/dev/null || exit 1
status=0
for h in "${harnesses[@]}"; do
  corpus=$work/fuzz-corpus/$h artifacts=$work/fuzz-artifacts/$h log=$work/fuzz-$h.log
  mkdir -p "$corpus" "$artifacts"
  extra=()
  # Journal inputs are whole files of lines: bounded so that each run stays fast.
  [[ $h == journal ]] && extra+=(-max_len=4096)
  "$build/tests/fuzz/fuzz_$h" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "${extra[@]}" "$corpus" "$seeds/$h" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  if ((rc != 0)); then
    status=1
    echo "fuzz_$h: FAILED (exit $rc) after ${runs:-?} executions; see $log" >&2
    grep -m1 -A12 -E 'ERROR|invariant failed|runtime error' "$log" >&2
  else
    echo "fuzz_$h: ${runs:-?} executions in ${seconds} s, corpus $(ls "$corpus" | wc -l) inputs"
  fi
done
exit $status
