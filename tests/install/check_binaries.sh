#!/usr/bin/env bash
# check_binaries.sh DIST_DIR
#
# What the shipped binaries need from the machine they run on. For every ELF file inside every
# wheel (*.whl) and every npm tarball (*.tgz) in DIST_DIR: the shared libraries it names
# (NEEDED, with readelf -d), its RPATH/RUNPATH, and the highest GLIBC_ symbol version it
# references (objdump -T), printed per binary for the release report. Then `auditwheel show` on
# each wheel when auditwheel is on PATH.
#
# It fails when a binary
#   - needs a library other than the C runtime that manylinux_2_28 lets a wheel take from the
#     system: libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 ld-linux-x86-64.so.2.
#     manylinux also allows libstdc++.so.6 and libgcc_s.so.1, but our binaries carry libc++ (and
#     its ABI and unwinder) statically, so needing either of those is a failure here: the build
#     lost its static C++ runtime;
#   - references a GLIBC_ version above 2.28, or above what its wheel's platform tag claims;
#   - (wheels) is judged by auditwheel consistent with no manylinux tag of glibc 2.28 or older.
# Runs as any user; needs readelf and objdump (binutils), python3, tar.
set -euo pipefail

if (($# != 1)); then
  echo "usage: $0 DIST_DIR" >&2
  exit 2
fi
DIST=$(cd "$1" && pwd)
ALLOWED=(libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 ld-linux-x86-64.so.2)
MAX_GLIBC=2.28
for tool in readelf objdump python3 tar; do
  command -v "$tool" >/dev/null || {
    echo "binaries: $tool is missing (readelf and objdump come with binutils)" >&2
    exit 2
  }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
checked=0
failures=0
fail() {
  failures=$((failures + 1))
  echo "    FAIL: $*"
}

# version_le A B: is glibc version A <= B?
version_le() { [[ $(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1) == "$1" ]]; }

# glibc_of_tag TAG: the glibc version a platform tag stands for (manylinux_2_28_x86_64 -> 2.28,
# and the legacy aliases), or nothing for a tag that is no manylinux tag.
glibc_of_tag() {
  case $1 in
    manylinux1_*) echo 2.5 ;;
    manylinux2010_*) echo 2.12 ;;
    manylinux2014_*) echo 2.17 ;;
    manylinux_*_*_*) sed -E 's/^manylinux_([0-9]+)_([0-9]+)_.*/\1.\2/' <<<"$1" ;;
  esac
}

# check_elf FILE NAME [TAG_GLIBC]: print and check one binary.
check_elf() {
  local file=$1 name=$2 tag_glibc=${3:-} needed lib glibc other runpath interp
  checked=$((checked + 1))
  needed=$(readelf -d --wide "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  runpath=$(readelf -d --wide "$file" | sed -n 's/.*(\(RPATH\|RUNPATH\)).*\[\(.*\)\]/\1 \2/p')
  interp=$(readelf -l --wide "$file" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
  # The versions of the symbols it takes from other objects (undefined in it).
  glibc=$(objdump -T "$file" | awk '/\*UND\*/' | grep -oE 'GLIBC_[0-9]+(\.[0-9]+)+' |
    sed 's/GLIBC_//' | sort -uV | tail -n1 || true)
  other=$(objdump -T "$file" | awk '/\*UND\*/' | grep -oE '(GLIBCXX|CXXABI|GCC)_[0-9.]+' |
    sort -uV | paste -sd' ' || true)
  echo "  $name"
  echo "    NEEDED: $(paste -sd' ' <<<"$needed")"
  echo "    highest GLIBC_ version: ${glibc:-none}"
  [[ -z $interp ]] || echo "    interpreter: $interp"
  [[ -z $runpath ]] || echo "    $runpath"
  [[ -z $other ]] || echo "    C++ runtime symbol versions: $other"
  while read -r lib; do
    [[ -n $lib ]] || continue
    case " ${ALLOWED[*]} " in
      *" $lib "*) ;;
      *)
        case $lib in
          libstdc++.so.*) fail "needs $lib: the C++ runtime should be libc++, linked statically" ;;
          libgcc_s.so.*) fail "needs $lib: the unwinder should be linked statically with libc++" ;;
          *) fail "needs $lib, which is not among the allowed ${ALLOWED[*]}" ;;
        esac
        ;;
    esac
  done <<<"$needed"
  if [[ -n $glibc ]] && ! version_le "$glibc" "$MAX_GLIBC"; then
    fail "references GLIBC_$glibc, above $MAX_GLIBC"
  fi
  if [[ -n $glibc && -n $tag_glibc ]] && version_le "$glibc" "$MAX_GLIBC" &&
    ! version_le "$glibc" "$tag_glibc"; then
    fail "references GLIBC_$glibc, above the glibc $tag_glibc its wheel's platform tag claims"
  fi
  [[ -z $other ]] || fail "references libstdc++/libgcc symbol versions: $other"
}

# check_tree DIR LABEL [TAG_GLIBC]: every ELF file under DIR.
check_tree() {
  local dir=$1 label=$2 tag_glibc=${3:-} file found=0
  while IFS= read -r -d '' file; do
    if [[ $(head -c4 "$file" | od -An -tx1 | tr -d ' \n') == 7f454c46 ]]; then
      found=1
      check_elf "$file" "${file#"$dir"/}" "$tag_glibc"
    fi
  done < <(find "$dir" -type f -print0 | sort -z)
  ((found)) || echo "  (no ELF file in $label)"
}

shopt -s nullglob
wheels=("$DIST"/*.whl)
tarballs=("$DIST"/*.tgz)
if ((${#wheels[@]} + ${#tarballs[@]} == 0)); then
  echo "binaries: no wheel and no npm tarball in $DIST" >&2
  exit 1
fi

for whl in "${wheels[@]}"; do
  base=$(basename "$whl" .whl)
  # name-version(-build)?-python-abi-platform: the platform tag(s) are the last field.
  platforms=${base##*-}
  tag_glibc=""
  for tag in ${platforms//./ }; do
    g=$(glibc_of_tag "$tag")
    if [[ -n $g ]] && { [[ -z $tag_glibc ]] || version_le "$g" "$tag_glibc"; }; then tag_glibc=$g; fi
  done
  echo "$(basename "$whl") (platform tag $platforms${tag_glibc:+: glibc $tag_glibc})"
  dir=$work/$base
  python3 -m zipfile -e "$whl" "$dir"
  check_tree "$dir" "$(basename "$whl")" "$tag_glibc"
done

for tgz in "${tarballs[@]}"; do
  basename "$tgz"
  dir=$work/$(basename "$tgz" .tgz)
  mkdir -p "$dir"
  tar -xzf "$tgz" -C "$dir" --no-same-owner
  if [[ -z $(find "$dir" -name '*.node' -print -quit) ]]; then
    fail "no .node addon in the npm tarball"
  fi
  check_tree "$dir" "$(basename "$tgz")"
done

# auditwheel's judgement: the most compatible platform tag the wheel is consistent with.
if ((${#wheels[@]})); then
  if command -v auditwheel >/dev/null; then
    for whl in "${wheels[@]}"; do
      echo "auditwheel show $(basename "$whl") ($(auditwheel --version 2>&1 | awk 'NR == 1 { print $1, $2 }')):"
      if ! out=$(auditwheel show "$whl" 2>&1); then
        sed 's/^/    /' <<<"$out"
        fail "auditwheel show failed"
        continue
      fi
      sed 's/^/    /' <<<"$out"
      tag=$(tr -s ' \n' ' ' <<<"$out" |
        sed -n 's/.*consistent with the following platform tag: "\([^"]*\)".*/\1/p')
      g=$(glibc_of_tag "$tag")
      if [[ -z $g ]]; then
        fail "auditwheel finds the wheel consistent with '${tag:-no tag}', not with a manylinux tag"
      elif ! version_le "$g" "$MAX_GLIBC"; then
        fail "auditwheel: consistent only with $tag (glibc $g), above manylinux_2_28"
      else
        echo "    ok: auditwheel: consistent with $tag (glibc $g <= $MAX_GLIBC)"
      fi
    done
  else
    echo "auditwheel: not on PATH, skipped (tools/requirements-release.txt pins it)"
  fi
fi

if ((failures)); then
  echo "binaries: $checked binaries checked, $failures problems (FAIL lines above)"
  exit 1
fi
echo "binaries: $checked binaries checked: need only ${ALLOWED[*]} (as far as they need any)" \
  "and glibc <= $MAX_GLIBC"
