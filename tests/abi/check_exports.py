#!/usr/bin/env python3
"""check_exports.py LIB MAP HEADER: the library's dynamic symbols, the version script and the
header's AGM_API declarations must be the same set, and every exported name must carry the
library's prefix."""
import re
import subprocess
import sys

lib, map_file, header = sys.argv[1:4]
nm = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True, check=True).stdout
# Version nodes (AGENTMETRICS_0.1) appear as absolute symbols: not functions.
exported = {f[-1].split("@")[0] for f in (l.split() for l in nm.splitlines()) if f and f[-2] != "A"}
mapped = set(re.findall(r"^\s+(agm_\w+);", open(map_file).read(), re.M))
# Join continuation lines so a declaration split after its return type is still seen.
text = re.sub(r"\s+", " ", open(header).read())
declared = set(re.findall(r"AGM_API [^;(]*?\b(agm_\w+)\s*\(", text))

ok = True
def report(what, names):
    global ok
    if names:
        ok = False
        print(f"{what}: {', '.join(sorted(names))}")

report("exported without the agm_ prefix", {s for s in exported if not s.startswith("agm_")})
report("exported but not in the map", exported - mapped)
report("in the map but not exported", mapped - exported)
report("declared in the header but not in the map", declared - mapped)
report("in the map but not declared in the header", mapped - declared)
print(f"{len(exported)} exported symbols, {len(mapped)} in the map, {len(declared)} declared")
sys.exit(0 if ok else 1)
