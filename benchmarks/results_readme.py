"""Write results/README.md from the committed result files, with the tool's own tables.

    python benchmarks/results_readme.py            # from the repository root

Every table in results/README.md is printed by loaderbench (report / compare), never typed by
hand: rerun this script after adding or replacing a result file. results/sections.txt lists
the sections; results/notes.md, if present, is the prose that reads them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loaderbench.cli import main as cli  # noqa: E402
from loaderbench.results.compare import describe_env  # noqa: E402
from loaderbench.results.store import load  # noqa: E402


def tool(*argv: str) -> str:
    """What `loaderbench ARGV` prints on stdout."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli(list(argv))
    if code not in (0, 1):
        raise SystemExit(f"loaderbench {' '.join(argv)} exited {code}")
    return out.getvalue().rstrip("\n")


PLOT_ORDER = ("throughput", "split", "scaling", "compare")


def images(command: list[str], folder: Path) -> str:
    """Markdown image links to the PNGs a `--plots DIR` command wrote (paths relative to
    the README's folder), in a fixed order."""
    if "--plots" not in command:
        return ""
    plots = ROOT / command[command.index("--plots") + 1]
    rank = {name: i for i, name in enumerate(PLOT_ORDER)}
    pngs = sorted(plots.glob("*.png"), key=lambda p: (rank.get(p.stem.split("-")[0], 9), p.stem))
    return "\n\n" + "\n\n".join(f"![{p.stem}]({p.relative_to(folder).as_posix()})"
                                   for p in pngs)


def section(title: str, command: list[str], intro: str = "", folder: Path = ROOT) -> str:
    shown = "loaderbench " + " ".join(command)
    body = tool(*command) + images(command, folder)
    return f"## {title}\n\n{intro}\n\n`{shown}`\n\n{body}\n"


def build(folder: Path, sections: list[tuple[str, list[str], str]]) -> str:
    files = sorted(f for f in folder.glob("*.json")  # not the bare `loaderbench env` files
                   if '"schema_version"' in f.read_text())
    header = ["# Reference results", "",
              "Result files from real hardware, committed so that a later run can be compared "
              "(`loaderbench compare`) or gated (`loaderbench gate`) against them. Every table "
              "below is printed by loaderbench from these files by "
              "`python benchmarks/results_readme.py`; none is typed by hand.", ""]
    header += [f"- `{f.name}`: {describe_env(load(f).env)}; suite `{load(f).suite}`, created "
               f"{load(f).created}" for f in files]
    notes = folder / "notes.md"
    reading = [notes.read_text().strip(), ""] if notes.exists() else []
    body = "\n".join(section(*s, folder=folder) for s in sections)
    return "\n".join([*header, "", *reading]) + "\n" + body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=ROOT / "results")
    args = parser.parse_args()
    spec = args.folder / "sections.txt"
    sections = []
    for line in spec.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            title, command, intro = (part.strip() for part in line.split("|", 2))
            sections.append((title, command.split(), intro))
    (args.folder / "README.md").write_text(build(args.folder, sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
