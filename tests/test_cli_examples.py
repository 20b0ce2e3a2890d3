"""Every example a user is shown parses: each ``constellation ...`` line of every subcommand's ``--help``
epilog and of the README's shell blocks goes through the command's own parser (nothing runs), so an example
with a misspelt option, a lost line continuation or a stray argument fails here."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from constellation.cli import SUBCOMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[1]


def _joined(lines):
    """Lines with their ``\\`` continuations joined."""
    out, held = [], ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            held += line.rstrip()[:-1] + " "
            continue
        out.append(held + line)
        held = ""
    return out


def _commands(text: str) -> list[list[str]]:
    """The argument lists of the ``constellation`` commands in ``text`` (comments and ``uv run`` or
    ``VAR=value`` prefixes dropped)."""
    found = []
    for line in text.splitlines():  # (a continuation lost in a Python string leaves a wide gap)
        assert not re.search(r"^\s*constellation .*\S {3,}-", line), f"a lost line break? {line!r}"
    for line in _joined(text.splitlines()):
        if not re.match(r"\s*(uv run |[A-Z_]+=\S* )?constellation ", line):
            continue  # prose
        words = shlex.split(line, comments=True)
        while words and (words[0] in ("uv", "run") or re.fullmatch(r"[A-Z_]+=\S*", words[0])):
            words = words[1:]
        if words[:1] == ["constellation"]:
            found.append(words[1:])
    return found


def _epilog(name: str) -> str:
    parser = build_parser([name])
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices[name].epilog or ""


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_help_examples_parse(name):
    examples = _commands(_epilog(name))
    assert examples, f"{name}: no example in its --help"
    for argv in examples:
        parser = build_parser(argv)
        try:
            parser.parse_args(argv)
        except SystemExit as exc:  # argparse's way of refusing
            pytest.fail(f"example of {name} does not parse ({exc.code}): constellation {shlex.join(argv)}")


def test_readme_shell_examples_parse():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    examples = [argv for b in blocks for argv in _commands(b)]
    assert len(examples) >= 8
    for argv in examples:
        try:
            build_parser(argv).parse_args(argv)
        except SystemExit as exc:
            pytest.fail(f"README example does not parse ({exc.code}): constellation {shlex.join(argv)}")
