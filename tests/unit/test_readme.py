"""CI runs exactly the README's commands: this fails if .ci/run and README.md drift apart."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n# (\d)\. [^\n]*\n([^\n]+)\n```", text)
    return [command for _, command in sorted(blocks)]


def test_readme_has_the_two_commands():
    setup, tests = readme_commands()
    assert "loaderbench run --suite quick" in setup
    assert "pytest" in tests


def test_ci_runs_the_readme_commands_verbatim():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    for command in readme_commands():
        assert command in ci
