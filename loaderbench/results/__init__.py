"""Result files and what is read from them; imports neither torch nor pyarrow.

Public API (see docs/results.md): `store.load(path) -> RunResult`, `store.save(run, path)`;
records in `schema` (RunResult, ScenarioResult), `records` (Transfer, Pinning, Timing,
Checks, EpochCheck, ValueCheck, Resources, Status) and `samples` (StepSamples);
`ScenarioResult.metrics` (a `metrics.Metrics`, derived from the raw steps); table columns in
`columns`, output formats in `formats`.
"""
