#!/usr/bin/env python3
"""Checks what the layered build (core/meson.build) cannot: core/src/<layer>/ files include
headers by bare name ("journal.hpp", never "../store/journal.hpp", which would bypass the
include directories that keep a lower layer from seeing a higher one's headers), so every name
is unique across the folders; no file sits in core/src itself; and only the api layer
includes the public header.

    python3 core/tools/check_layers.py core/src
"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def main(src: pathlib.Path) -> int:
    errors = []
    seen = {}
    for path in sorted(src.rglob('*')):
        if not path.is_file():
            continue
        rel = path.relative_to(src)
        if len(rel.parts) != 2:
            errors.append(f'{rel}: not in a layer folder (core/src/<layer>/)')
            continue
        layer = rel.parts[0]
        if path.name in seen:
            errors.append(f'{rel}: the name of {seen[path.name]} (includes are by bare name)')
        seen[path.name] = rel
        for kind, name in INCLUDE.findall(path.read_text(encoding='utf-8')):
            if kind == '"' and '/' in name:
                errors.append(f'{rel}: #include "{name}": by bare name only')
            if name.startswith('agentmetrics/') and layer != 'api':
                errors.append(f'{rel}: #include <{name}>: only core/src/api includes the public header')
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else 'core/src')))
