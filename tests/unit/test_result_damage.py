"""Random damage to a result file: `report` answers with its table or one line and exit 2,
never a traceback (the typed records validated on load, issue 9)."""

from __future__ import annotations

import contextlib
import copy
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaderbench.cli import main
from loaderbench.harness.worker import base_result
from loaderbench.results import store
from loaderbench.results.schema import RunResult, StepSamples
from loaderbench.scenarios.scenario import Scenario

FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(),
                 st.text(max_size=6), st.just([]), st.just({}), st.lists(st.integers(), max_size=3),
                 st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


def good() -> dict:
    steps = StepSamples((0.1, 0.2), (0.0, 0.0), (0.3, 0.3), (4, 4), (0, 0), (0, 0),
                        (False, False), (True, False))
    result = base_result(Scenario("a", "vectorized"), "ok", steps=steps)
    return RunResult(created="now", env={"host": "h"}, suite="s",
                     scenarios=(result,)).to_dict()


def paths(value, prefix=()):
    """Every place in a JSON value: (path to it)."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, (*prefix, i))


GOOD = good()
PLACES = [p for p in paths(GOOD) if p]


@FAST
@given(st.lists(st.tuples(st.sampled_from(PLACES), JUNK, st.booleans()), min_size=1,
                max_size=3))
def test_a_damaged_result_file_is_a_table_or_one_line(tmp_path, damage):
    data = copy.deepcopy(GOOD)
    for place, junk, delete in damage:
        parent = data
        try:
            for key in place[:-1]:
                parent = parent[key]
            if delete and isinstance(parent, dict):
                parent.pop(place[-1], None)
            else:
                parent[place[-1]] = junk
        except (KeyError, IndexError, TypeError):
            continue
    path = tmp_path / "r.json"
    path.write_text(store.dumps(data) if data is not None else "null")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["report", str(path)])
    assert code in (0, 2)
    if code == 2:
        assert err.getvalue().count("\n") == 1
