#!/usr/bin/env python3
"""The ABI of libagentmetrics.so against the baseline committed in tests/abi (libabigail).

    check_abi.py LIB                 compare the built library with the baseline
    check_abi.py --write LIB         regenerate the baseline from it (update_baseline.sh)

LIB must carry debug information (a debug or debugoptimized build, e.g. build-asan). Policy
(README "ABI baseline"):
- compatible, passes: added functions; structs that only grew at the end and are passed by
  pointer (the struct_size convention: abidiff's has_data_member_inserted_at = end, see
  suppressions.abignore). Regenerate the baseline when convenient so that later removals are
  caught; the check says so.
- anything else fails: abidiff's exit bit 8 (ABIDIFF_ABI_INCOMPATIBLE_CHANGE: a removed
  symbol) and bit 4 alone (ABIDIFF_ABI_CHANGE, "a human must review": a changed type, member
  offset or signature that the suppressions do not cover; we treat it as a break). An intended break changes the soname (soversion in
  core/meson.build, AGM_ABI_VERSION) and regenerates the baseline in the same commit.
- the baseline itself: in a git checkout, the committed baseline is compared with the one it
  replaced (the working copy with HEAD's, else HEAD's with the version before the last commit
  that changed it); an incompatible difference between them with the same soname fails too,
  so a baseline regenerated over a break without a soname change does not pass.
"""
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BASELINE = HERE / "libagentmetrics.abi"
SUPPRESSIONS = HERE / "suppressions.abignore"
BASELINE_IN_GIT = "tests/abi/libagentmetrics.abi"

# abidiff's exit status bits (abidiff(1)): 1 error, 2 usage error, 4 ABIDIFF_ABI_CHANGE,
# 8 ABIDIFF_ABI_INCOMPATIBLE_CHANGE (always with 4).


def abidw(lib, out):
    """The ABI of `lib` as abixml, without paths, locations or anything else that varies
    between two builds of the same source: deterministic."""
    subprocess.run(["abidw", "--no-corpus-path", "--no-comp-dir-path", "--no-show-locs", "--no-elf-needed",
                    "--exported-interfaces-only", "--type-id-style", "hash",
                    "--drop-private-types", "--headers-dir", str(ROOT / "include" / "agentmetrics"),
                    "--out-file", str(out), str(lib)], check=True)


def abidiff(old, new):
    """abidiff's exit status and report, with the compatible changes suppressed."""
    p = subprocess.run(["abidiff", "--no-added-syms", "--suppressions", str(SUPPRESSIONS), str(old), str(new)],
                       capture_output=True, text=True)
    return p.returncode, (p.stdout + p.stderr).strip()


def type_names(root):
    """type id -> a readable name (the same in two builds, unlike ids of grown structs)."""
    by_id = {e.get("id"): e for e in root.iter() if e.get("id")}
    memo = {}

    def name(type_id, depth=0):
        if type_id in memo:
            return memo[type_id]
        e = by_id.get(type_id)
        if e is None or depth > 20:
            return f"?{type_id}"
        inner = e.get("type-id")
        if e.tag == "pointer-type-def":
            n = name(inner, depth + 1) + "*"
        elif e.tag == "qualified-type-def":
            n = ("const " if e.get("const") == "yes" else "") + ("volatile " if e.get("volatile") == "yes" else "") + \
                name(inner, depth + 1)
        elif e.tag == "array-type-def":
            n = f"{name(e.get('element-type-id'), depth + 1)}[{e.get('size-in-bits')}]"
        elif e.tag == "function-type":
            parts = [name(q.get("type-id"), depth + 1) for q in e if q.tag in ("parameter", "return")]
            n = "fn(" + ",".join(parts) + ")"
        elif e.get("name"):
            n = e.get("name")
            if e.tag == "typedef-decl":  # a typedef over another type is that type, too
                n += "=" + name(inner, depth + 1)
        else:
            n = f"{e.tag}?"
        memo[type_id] = n
        return n

    return name


def structs(abi_text):
    """The public structs: name -> (size in bits, [(member, type name, offset in bits)])."""
    root = ET.fromstring(abi_text)
    name = type_names(root)
    out = {}
    for c in root.iter("class-decl"):
        if not c.get("name", "").startswith("agm_") or c.get("is-declaration-only") == "yes":
            continue
        members = [(v.get("name"), name(v.get("type-id")), int(d.get("layout-offset-in-bits", "-1")))
                   for d in c.iter("data-member") for v in d.iter("var-decl")]
        out[c.get("name")] = (int(c.get("size-in-bits", "0")), members)
    return out


def struct_breaks(old_text, new_text):
    """What the suppression of "members added at the end" must not let through: a member
    changed or moved, or a struct grown without struct_size first (such as agm_money, which
    other structs embed by value)."""
    breaks = []
    new = structs(new_text)
    for struct, (size, members) in structs(old_text).items():
        if struct not in new:
            continue  # abidiff reports a type that is gone
        new_size, new_members = new[struct]
        if new_members[:len(members)] != members:
            breaks.append(f"struct {struct}: members changed: {members} -> {new_members}")
        elif new_size != size and (not members or members[0][0] != "struct_size"):
            breaks.append(f"struct {struct} changed size ({size} -> {new_size} bits) without struct_size")
    return breaks


def soname(abi_text):
    m = re.search(r"<abi-corpus [^>]*soname='([^']*)'", abi_text)
    return m.group(1) if m else None


def git(*args):
    p = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    return p.stdout if p.returncode == 0 else None


def replaced_baseline():
    """The baseline the current one replaced, per the policy above; None without git or history."""
    if git("rev-parse", "--is-inside-work-tree") is None:
        return None
    head = git("show", f"HEAD:{BASELINE_IN_GIT}")
    if head is not None and head != BASELINE.read_text():
        return head
    last = (git("log", "-1", "--format=%H", "--", BASELINE_IN_GIT) or "").strip()
    if not last:
        return None
    return git("show", f"{last}^:{BASELINE_IN_GIT}")


def describe(status):
    bits = [name for bit, name in ((1, "error"), (2, "usage error"), (4, "ABI change"),
                                   (8, "incompatible ABI change")) if status & bit]
    return ", ".join(bits) or "none"


def main():
    args = sys.argv[1:]
    write = args[:1] == ["--write"]
    if write:
        args = args[1:]
    if len(args) != 1:
        sys.exit(__doc__)
    lib = pathlib.Path(args[0])
    if write:
        abidw(lib, BASELINE)
        print(f"wrote {BASELINE.relative_to(ROOT)} (soname {soname(BASELINE.read_text())})")
        return 0
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        current = pathlib.Path(tmp) / "current.abi"
        abidw(lib, current)
        status, report = abidiff(BASELINE, current)
        breaks = struct_breaks(BASELINE.read_text(), current.read_text())
        if breaks and not status & 4:
            status |= 4
            report = "\n".join(breaks)
        elif breaks:
            report += "\n" + "\n".join(breaks)
        base_soname, lib_soname = soname(BASELINE.read_text()), soname(current.read_text())
        if base_soname != lib_soname:
            print(f"the soname changed ({base_soname} -> {lib_soname}): regenerate the baseline "
                  "(tests/abi/update_baseline.sh) in the same commit")
            failed = True
        elif status & (1 | 2):
            print(f"abidiff failed ({describe(status)}):\n{report}")
            failed = True
        elif status:
            print(f"{lib} breaks the ABI of the baseline ({describe(status)}):\n{report}\n"
                  "An intended break changes the soname and regenerates the baseline in the same commit.")
            failed = True
        else:
            full = subprocess.run(["abidiff", str(BASELINE), str(current)], capture_output=True, text=True)
            if full.returncode:
                print("compatible changes only (added functions, structs grown at the end); "
                      "regenerate the baseline when convenient: tests/abi/update_baseline.sh")
            else:
                print(f"{lib.name}: the ABI of the baseline ({lib_soname})")
        previous = replaced_baseline()
        if previous is not None:
            old = pathlib.Path(tmp) / "previous.abi"
            old.write_text(previous)
            status, report = abidiff(old, BASELINE)
            breaks = struct_breaks(previous, BASELINE.read_text())
            if breaks:
                status |= 4
                report = "\n".join([report, *breaks]).strip()
            if status and soname(previous) == base_soname:
                print(f"the baseline was regenerated over an ABI break ({describe(status)}) without a soname "
                      f"change ({base_soname}):\n{report}")
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
