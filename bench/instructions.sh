#!/usr/bin/env bash
# Instructions per call, counted by callgrind: repeatable whatever else the machine is doing.
# The difference between 200,000 and 100,000 calls cancels start-up (such as parsing the
# bundled price table).   bench/instructions.sh [build dir]
set -euo pipefail
exe="${1:-build}/bench/bench_record"
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$exe" --only "$1" --ops "$2" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
for loop in noop record; do
  small=$(count "$loop" 100000)
  large=$(count "$loop" 200000)
  echo "$loop: $(((large - small) / 100000)) instructions per call"
done
