"""The scaling view: each scenario against the yardstick of its own device and loop."""

from __future__ import annotations

import pytest

from loaderbench.results.scaling import render_scaling, scaling_rows
from loaderbench.results.schema import RunResult
from tests.unit.test_tables import scenario


def run() -> RunResult:
    loop = {"loop": "overlapped"}
    items = (scenario("synthetic", "synthetic", 0.002, 0.0, device="cuda"),
             scenario("synthetic loop=overlapped", "synthetic", 0.001, 0.0, device="cuda",
                      scenario=loop),
             scenario("arrow-shm workers=2", "arrow-shm", 0.004, 0.002, device="cuda",
                      options={"workers": 2}),
             scenario("arrow-shm workers=2 loop=overlapped", "arrow-shm", 0.004, 0.001,
                      device="cuda", options={"workers": 2}, scenario=loop))
    return RunResult("2026-01-01T00:00:00", {}, items,
                     calibration={"scan_rows_per_s": 64_000.0})


def test_each_scenario_is_read_against_the_yardstick_of_its_loop():
    rows = {r.name: r for r in scaling_rows(run())}
    assert rows["arrow-shm workers=2"].of_yardstick == pytest.approx(0.5)
    assert rows["arrow-shm workers=2 loop=overlapped"].of_yardstick == pytest.approx(0.25)
    assert rows["arrow-shm workers=2"].knob == "workers" and rows["synthetic"].knob == "-"
    assert rows["arrow-shm workers=2"].data_wait == pytest.approx(0.5)
    wall = rows["arrow-shm workers=2"].wall_rows_per_s  # 20 steps of 64 rows in loop_s 1.0
    assert wall == pytest.approx(1280.0)
    assert rows["arrow-shm workers=2"].of_scan == pytest.approx(1280.0 / 64_000)


def test_the_table_names_every_scenario_and_the_loops():
    text = render_scaling(run(), ["arrow-shm"])
    assert "arrow-shm workers=2 loop=overlapped" in text and "synthetic " not in text
    assert "overlapped" in text and "attributed" in text
