#!/usr/bin/env python3
"""readme_blocks.py README OUT_DIR: take out of the README what the fresh-root install test runs.

The README contract (the test follows exactly this; a README that breaks it fails the test with a
message that says which rule):

* Headings are lines starting with `#` outside fenced code blocks. A `## ` heading opens a
  section that runs to the next `# ` or `## ` heading; a `### ` heading opens a subsection that
  runs to the next heading of level 1 to 3.
* Fenced code blocks open with a line of three or more backticks followed by an info word
  (```` ```python ````) and close with a line of at least as many backticks and nothing else. The
  info word is the block's language.
* In `## Python quick start` the first ```` ```python ```` block is the program, and the first
  ```` ```text ```` block after it (before any other ```` ```python ```` block) is the program's
  exact standard output. The test runs the
  program as `python quickstart.py` in a fresh folder with `NO_COLOR=1`, compares stdout byte
  for byte and wants stderr empty. Other blocks (```` ```sh ````...) in the section are ignored.
* In `## Node quick start`, likewise, the first ```` ```js ```` block is an ES module (run as
  `node quickstart.mjs` in a fresh folder where the package is installed) and the first
  ```` ```text ```` block after it is its exact standard output.
* `## Install` has the subsections `### Python` and `### Node` (and `### C`, not run here).
  Each of `### Python` and `### Node` may hold ```` ```console ```` blocks. In them a line that
  starts with `$ ` is a command (the rest of the line, run with `bash -c`); the lines after it up
  to the next `$ ` line or the end of the block are its exact expected output, standard output
  and standard error merged in order. "Exact" means: those lines joined with a newline after
  each; no line at all means no output. So a blank line between two commands is expected output.
  The commands run in the working folder of that language's quick start, after the quick start
  ran there (so the store it wrote exists), in the order of the README.
* A command that installs the package (`pip install NAME...`, `python -m pip install ...`,
  `npm install NAME...`, `npm i ...`) is not run: the test has no network and installs from the
  build's artifacts instead. The names it gives must be the packages the artifacts hold; its
  expected output is not checked.

Output, for the test's driver (fresh_root_inside.sh):

    OUT_DIR/python/quickstart.py        the program
    OUT_DIR/python/quickstart.out       its expected stdout
    OUT_DIR/python/install              package names of the README's install commands, one a line
    OUT_DIR/python/console/NNN/cmd      a command (no "$ ", no newline)
    OUT_DIR/python/console/NNN/expected its expected merged output
    OUT_DIR/python/console/NNN/line     where it stands in the README ("README.md:123")
    OUT_DIR/node/...                    the same, with quickstart.mjs

Install commands get no console/NNN entry; their names go to `install` (empty if none).
"""
import pathlib
import re
import shlex
import sys


class ContractError(Exception):
    pass


def parse(text, name):
    """Headings (outside code) and fenced blocks, each with its 1-based line number."""
    lines = text.split("\n")
    headings, blocks = [], []  # (line, level, title), (line, lang, [lines])
    fence = None  # (marker length, lang, start line, body lines)
    for number, line in enumerate(lines, 1):
        if fence is not None:
            if re.fullmatch(r"`{%d,}\s*" % fence[0], line):
                blocks.append((fence[2], fence[1], fence[3]))
                fence = None
            else:
                fence[3].append(line)
            continue
        opened = re.match(r"(`{3,})\s*([^`\s]*)", line)
        if opened:
            fence = (len(opened.group(1)), opened.group(2), number, [])
            continue
        heading = re.match(r"(#{1,6}) +(.*?)\s*#*\s*$", line)
        if heading:
            headings.append((number, len(heading.group(1)), heading.group(2)))
    if fence is not None:
        raise ContractError(f"{name}:{fence[2]}: code block never closed")
    return headings, blocks


def span(headings, level, title, within=(0, float("inf")), name="README"):
    """The line range (start, end) of the one heading `level`/`title` inside `within`."""
    found = [h for h in headings if h[1] == level and h[2] == title and within[0] < h[0] < within[1]]
    if len(found) != 1:
        where = "" if within[0] == 0 else " in its section"
        raise ContractError(f"{name}: wants exactly one heading '{'#' * level} {title}'{where}, "
                            f"found {len(found)}")
    start = found[0][0]
    end = min([h[0] for h in headings if h[0] > start and h[1] <= level] + [within[1]])
    return start, end


def body(lines):
    """A block's lines as the bytes a program prints: each line ends with a newline."""
    return "".join(line + "\n" for line in lines)


def quick_start(headings, blocks, title, lang, name):
    start, end = span(headings, 2, title, name=name)
    inside = [b for b in blocks if start < b[0] < end]
    programs = [b for b in inside if b[1] == lang]
    if not programs:
        raise ContractError(f"{name}:{start}: '## {title}' has no ```{lang} block")
    program = programs[0]
    # Its output: the first ```text block after it, before any other block of the language.
    following = [b for b in inside if b[0] > program[0] and b[1] in ("text", lang)]
    if not following or following[0][1] != "text":
        raise ContractError(f"{name}:{start}: '## {title}' wants a ```text block right after its "
                            f"first ```{lang} block (the program's stdout)")
    return body(program[2]), body(following[0][2])


INSTALL = {
    "python": re.compile(r"(?:python3? -m )?pip3? install\s+(.*)"),
    "node": re.compile(r"npm (?:install|i|add)\s+(.*)"),
}


def console(headings, blocks, install_span, sub, lang, name):
    """The (line, cmd, expected) triples and install names of '### sub' in '## Install'."""
    start, end = span(headings, 3, sub, within=install_span, name=name)
    commands, installs = [], []
    for line, block_lang, lines in blocks:
        if not (start < line < end and block_lang == "console"):
            continue
        current = None
        for offset, text in enumerate(lines, 1):
            if text.startswith("$ ") or text == "$":
                cmd = text[2:].strip()
                if not cmd:
                    raise ContractError(f"{name}:{line + offset}: '$ ' with no command")
                current = [line + offset, cmd, []]
                commands.append(current)
            elif current is None:
                raise ContractError(f"{name}:{line + offset}: console block output before any "
                                    f"'$ ' command line")
            else:
                current[2].append(text)
    kept = []
    for line, cmd, out in commands:
        match = INSTALL[lang].fullmatch(cmd)
        if match:
            names = [w for w in shlex.split(match.group(1)) if not w.startswith("-")]
            if not names:
                raise ContractError(f"{name}:{line}: install command names no package")
            installs += [re.split(r"[\[<>=!~;@ ]", n)[0] if lang == "python" else
                         re.sub(r"(?<=.)@.*$", "", n) for n in names]
        else:
            kept.append((line, cmd, body(out)))
    return kept, installs


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[0])
    readme, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    name = readme.name
    try:
        headings, blocks = parse(readme.read_text(encoding="utf-8"), name)
        install_span = span(headings, 2, "Install", name=name)
        for lang, title, code_lang, program in (("python", "Python quick start", "python", "quickstart.py"),
                                                ("node", "Node quick start", "js", "quickstart.mjs")):
            code, expected = quick_start(headings, blocks, title, code_lang, name)
            commands, installs = console(headings, blocks, install_span, lang.capitalize(), lang, name)
            folder = out / lang
            (folder / "console").mkdir(parents=True, exist_ok=True)
            (folder / program).write_text(code, encoding="utf-8")
            (folder / "quickstart.out").write_text(expected, encoding="utf-8")
            (folder / "install").write_text(body(installs), encoding="utf-8")
            for index, (line, cmd, expect) in enumerate(commands, 1):
                entry = folder / "console" / f"{index:03d}"
                entry.mkdir()
                (entry / "cmd").write_text(cmd, encoding="utf-8")
                (entry / "expected").write_text(expect, encoding="utf-8")
                (entry / "line").write_text(f"{name}:{line}", encoding="utf-8")
    except ContractError as error:
        sys.exit(f"README contract: {error}")


if __name__ == "__main__":
    main()
