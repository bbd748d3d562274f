#!/usr/bin/env bash
# Builds the OpenTelemetry Collector of the end-to-end OTLP test (main.go) into OUT, by default
# build/otelcol-agm, from the Go module proxy with the versions go.mod and go.sum pin. Nothing
# is done while OUT is newer than the sources. ./run test calls it. A fresh machine (empty Go
# module and build caches) fills about 400 MB of module cache and compiles for about 2 CPU
# minutes: 3 minutes of wall time on a busy two-core machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/../../build/otelcol-agm}")
if [[ -x $out && $out -nt $here/main.go && $out -nt $here/go.mod && $out -nt $here/go.sum ]]; then
  exit 0
fi
command -v go >/dev/null || PATH=/usr/local/go/bin:$PATH
mkdir -p "$(dirname "$out")"
cd "$here"
go build -trimpath -o "$out.tmp" .
mv "$out.tmp" "$out"
