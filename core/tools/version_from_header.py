#!/usr/bin/env python3
"""The version the public header declares (AGM_VERSION_MAJOR/MINOR/PATCH): the single source of
truth. meson.build reads it as the project version, and pyproject.toml's version is dynamic
(meson-python takes meson's). package.json and package-lock.json cannot read it and repeat it:
--check fails, naming the file, when any of them (or AGM_VERSION_STRING) says another version.

    version_from_header.py HEADER                                    print the version
    version_from_header.py HEADER --check ROOT [MESON_PROJECT_VERSION]

The meson test `versions` (suite abi) and `./run dist` run the check."""
import json
import pathlib
import re
import sys


def header_version(text: str) -> str:
    return ".".join(re.search(rf"#define AGM_VERSION_{k} (\d+)", text).group(1) for k in ("MAJOR", "MINOR", "PATCH"))


def pyproject_version(text: str):
    """[project]'s version, or None when it is dynamic (read from meson)."""
    project = re.search(r"^\[project\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S).group(1)
    static = re.search(r'^version\s*=\s*"([^"]*)"', project, re.M)
    if static:
        return static.group(1)
    dynamic = re.search(r"^dynamic\s*=\s*\[([^\]]*)\]", project, re.M)
    return None if dynamic and '"version"' in dynamic.group(1) else "(none)"


def check(header: str, root: pathlib.Path, meson_version) -> list:
    text = pathlib.Path(header).read_text(encoding="utf-8")
    want = header_version(text)
    found = [("AGM_VERSION_STRING", re.search(r'#define AGM_VERSION_STRING "([^"]*)"', text).group(1))]
    package = json.loads((root / "package.json").read_text(encoding="utf-8"))
    found.append(("package.json", package.get("version")))
    lock_file = root / "package-lock.json"
    if lock_file.exists():
        lock = json.loads(lock_file.read_text(encoding="utf-8"))
        found.append(("package-lock.json", lock.get("version")))
        found.append(('package-lock.json packages[""]', lock.get("packages", {}).get("", {}).get("version")))
    py = pyproject_version((root / "pyproject.toml").read_text(encoding="utf-8"))
    if py is not None:  # a static version must agree; dynamic is meson's, checked below
        found.append(("pyproject.toml", py))
    if meson_version is not None:
        found.append(("meson.build project version", meson_version))
    return [f"{where} says {got!r}, the header (AGM_VERSION_MAJOR/MINOR/PATCH) {want!r}"
            for where, got in found if got != want]


def main(argv: list) -> int:
    if len(argv) >= 4 and argv[2] == "--check":
        problems = check(argv[1], pathlib.Path(argv[3]), argv[4] if len(argv) > 4 else None)
        for p in problems:
            print(f"version mismatch: {p}", file=sys.stderr)
        if not problems:
            print(f"versions agree: {header_version(pathlib.Path(argv[1]).read_text(encoding='utf-8'))}")
        return 1 if problems else 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    print(header_version(open(argv[1], encoding="utf-8").read()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
