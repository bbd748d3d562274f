#!/usr/bin/env bash
# Instructions per call, counted by callgrind: repeatable whatever else the machine is doing.
# The difference between 200,000 and 100,000 calls cancels start-up (such as parsing the
# bundled price table). Only the calling thread is counted: with a journal, the writer
# thread's work (encoding, write()) is on another core and reported apart.
#   bench/instructions.sh [build dir]
set -euo pipefail
exe="${1:-build}/bench/bench_record"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# count LOOP CALLS THREAD: instructions of thread THREAD (1: the caller, 2: the writer)
count() {
  rm -f "$out"/cg*
  valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$out/cg" "$exe" --only "$1" --ops "$2" \
    >/dev/null 2>&1
  sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out/cg-0$3"
}
for loop in noop record record_json record_tool record_journal; do
  small=$(count "$loop" 100000 1)
  large=$(count "$loop" 200000 1)
  line="$loop: $(((large - small) / 100000)) instructions per call"
  if [[ $loop == record_journal ]]; then
    small=$(count "$loop" 100000 2)
    large=$(count "$loop" 200000 2)
    line+=" (writer thread: $(((large - small) / 100000)) per record)"
  fi
  echo "$line"
done
