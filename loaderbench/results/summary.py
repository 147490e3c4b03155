"""A Markdown summary fit for a CI job summary ($GITHUB_STEP_SUMMARY) or a PR comment: the
run's table and, given a baseline, the gate's verdicts with a one-line outcome on top."""

from __future__ import annotations

from loaderbench.results.access import RunView, gate_outcome, table_text

OUTCOME = {0: "✅ gate: pass", 1: "❌ gate: REGRESSION", 2: "⚠️ gate: cannot compare some scenarios"}


def _fenced_notes(text: str) -> str:
    """A GitHub table, then its footnotes as a list (Markdown would glue them together)."""
    lines = text.splitlines()
    table = [line for line in lines if line.startswith("|")]
    notes = [f"- {line.strip()}" for line in lines if line.strip() and not line.startswith("|")]
    return "\n".join(table + (["", *notes] if notes else []))


def markdown(run: RunView, baseline: RunView | None = None, threshold: float = 0.05) -> str:
    counts = {k: sum(e.status == k for e in run.entries) for k in ("ok", "failed", "skipped")}
    head = [f"## loaderbench: {run.label}", "",
            f"suite `{run.suite}`, {counts['ok']} ok, {counts['failed']} failed, "
            f"{counts['skipped']} skipped; created {run.created}", ""]
    gate_part: list[str] = []
    if baseline is not None:
        table, code, _ = gate_outcome(baseline, run, threshold)
        head[1:1] = ["", f"**{OUTCOME[code]}** against `{baseline.label}`"]
        gate_part = ["", f"### Gate against `{baseline.label}`", "", _fenced_notes(table)]
    body = ["### Throughput", "", _fenced_notes(table_text(run, "github"))]
    return "\n".join(head + body + gate_part) + "\n"
