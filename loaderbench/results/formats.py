"""Output formats of every table (`--format`): one dispatch, one place to add a format.

Each format is a function (headers, rows, alignments) -> text. tabulate's formats (github,
plain, grid, latex...) are registered by name; `csv` writes plain CSV. `notes` says whether
the footnotes a table carries belong after it: not after CSV, which a program reads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tabulate import tabulate, tabulate_formats

from loaderbench.errors import UsageError

Renderer = Callable[[Sequence[str], Sequence[Sequence[str]], Sequence[str] | None], str]


@dataclass(frozen=True)
class Format:
    render: Renderer
    notes: bool = True


def _tabulated(name: str) -> Renderer:
    def render(headers: Sequence[str], rows: Sequence[Sequence[str]],
               align: Sequence[str] | None) -> str:
        return tabulate(rows, headers=headers, tablefmt=name, disable_numparse=True,
                        colalign=align)
    return render


def _csv(headers: Sequence[str], rows: Sequence[Sequence[str]],
         align: Sequence[str] | None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().rstrip("\n")


FORMATS: dict[str, Format] = {name: Format(_tabulated(name)) for name in tabulate_formats}
FORMATS["csv"] = Format(_csv, notes=False)


def check_format(name: str) -> Format:
    """The format called `name`; a UsageError listing the choices otherwise."""
    if name not in FORMATS:
        raise UsageError(f"unknown table format {name!r}; choose one of "
                         f"{', '.join(sorted(FORMATS))}")
    return FORMATS[name]


def table(name: str, headers: Sequence[str], rows: Sequence[Sequence[str]],
          align: Sequence[str] | None = None, notes: Sequence[str] = ()) -> str:
    """A table in format `name`, followed by its notes (one per line) where they belong."""
    chosen = check_format(name)
    text = chosen.render(headers, rows, align)
    return "\n".join([text, *notes]) if chosen.notes else text
