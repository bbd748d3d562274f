#!/usr/bin/env python3
"""Fetch the pinned third-party sources that meson builds as subprojects (simdjson, SQLite,
CLI11, and for the Node addon node-addon-api and node-api-headers).

Each subprojects/NAME.wrap says what meson unpacks (source_filename, checked against
source_hash) and, in its [fetch] section, where that file comes from: a package registry
reached through its ordinary client (pip, npm or apt-get), at a pinned version, checked
against a pinned SHA-256 before anything is taken out of it. The files land in
subprojects/packagefiles/, where meson looks for them; nothing is committed, and the sdist
and the npm tarball carry them, so building from those needs no network.

    tools/fetch_third_party.py            fetch what is missing (or does not match its hash)
    tools/fetch_third_party.py --list     name, version, licence and origin of each
"""

from __future__ import annotations

import argparse
import configparser
import hashlib
import io
import pathlib
import shutil
import subprocess
import sys
import tarfile
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
SUBPROJECTS = ROOT / "subprojects"
PACKAGEFILES = SUBPROJECTS / "packagefiles"


class FetchError(Exception):
    pass


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def wraps() -> list[tuple[str, configparser.SectionProxy, configparser.SectionProxy]]:
    found = []
    for path in sorted(SUBPROJECTS.glob("*.wrap")):
        config = configparser.ConfigParser(interpolation=None)
        config.read(path, encoding="utf-8")
        if config.has_section("fetch"):
            found.append((path.stem, config["wrap-file"], config["fetch"]))
    return found


def run(cmd: list[str], cwd: pathlib.Path) -> None:
    result = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        raise FetchError(f"`{' '.join(cmd)}` failed (exit {result.returncode}):\n{result.stdout.strip()}")


def download(client: str, package: str, work: pathlib.Path, hash_: str) -> None:
    """Download `package` with the registry's own client into `work`."""
    if client == "pip":
        # --require-hashes: pip itself refuses a file whose hash differs from the pin.
        requirements = work / "requirements.txt"
        requirements.write_text(f"{package} --hash=sha256:{hash_}\n")
        run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
             "--no-deps", "--no-binary", ":all:", "--require-hashes", "-r", str(requirements),
             "-d", str(work)], work)
        requirements.unlink()
    elif client == "npm":
        # npm checks the tarball against the registry's integrity hash as well.
        run(["npm", "pack", "--silent", package, "--pack-destination", str(work)], work)
    elif client == "apt":
        if shutil.which("apt-get") is None:
            raise FetchError(f"{package} comes from Debian's packages and this machine has no apt-get; "
                             "build against a system CLI11 instead (meson finds it through pkg-config)")
        try:
            run(["apt-get", "download", package], work)
        except FetchError as e:
            raise FetchError(f"{e}\n(apt-get update first, as root, if the package lists are missing)") from None
    else:
        raise FetchError(f"unknown client {client!r}")


def member(archive: pathlib.Path, name: str) -> bytes:
    """One file out of a tarball or a Debian package (an ar archive)."""
    data = archive.read_bytes()
    if data.startswith(b"!<arch>\n"):
        pos = 8
        while pos + 60 <= len(data):
            header = data[pos:pos + 60]
            entry = header[:16].decode().strip().rstrip("/")
            size = int(header[48:58].decode().strip())
            if entry == name:
                return data[pos + 60:pos + 60 + size]
            pos += 60 + size + (size & 1)
        raise FetchError(f"{archive.name} has no {name}")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        extracted = tar.extractfile(name)
        if extracted is None:
            raise FetchError(f"{archive.name} has no file {name}")
        return extracted.read()


def fetch(name: str, wrap: configparser.SectionProxy, spec: configparser.SectionProxy) -> str:
    target = PACKAGEFILES / wrap["source_filename"]
    if target.exists() and sha256(target.read_bytes()) == wrap["source_hash"]:
        return "present"
    downloaded_name = spec.get("file", wrap["source_filename"])
    downloaded_hash = spec.get("file_hash", wrap["source_hash"])
    with tempfile.TemporaryDirectory(prefix=f"agm-fetch-{name}-") as tmp:
        work = pathlib.Path(tmp)
        download(spec["client"], spec["package"], work, downloaded_hash)
        downloaded = work / downloaded_name
        if not downloaded.exists():
            got = ", ".join(p.name for p in work.iterdir()) or "nothing"
            raise FetchError(f"{spec['package']}: expected {downloaded_name}, the client wrote {got}")
        actual = sha256(downloaded.read_bytes())
        if actual != downloaded_hash:
            raise FetchError(f"{downloaded_name}: SHA-256 {actual}, pinned {downloaded_hash}")
        data = member(downloaded, spec["member"]) if "member" in spec else downloaded.read_bytes()
    if sha256(data) != wrap["source_hash"]:
        raise FetchError(f"{wrap['source_filename']}: SHA-256 {sha256(data)}, pinned {wrap['source_hash']}")
    PACKAGEFILES.mkdir(exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(data)
    partial.replace(target)
    return f"fetched ({spec['client']}: {spec['package']})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="describe each source; fetch nothing")
    args = parser.parse_args()
    failed = 0
    for name, wrap, spec in wraps():
        if args.list:
            print(f"{name}: {spec['what']}; {spec['licence']}; {spec['client']} {spec['package']}")
            continue
        try:
            print(f"{name}: {fetch(name, wrap, spec)}", file=sys.stderr)
        except (FetchError, OSError) as e:
            print(f"{name}: error: {e}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
