"""The parent/child protocol: one helper spawns a child and reads its JSON or its error."""

from __future__ import annotations

import pytest

from loaderbench.harness.protocol import Job, call_child, forking
from loaderbench.scenarios.scenario import Scenario

pytestmark = pytest.mark.slow  # real processes

CHILD = "tests.echo_child"


def test_the_reply_comes_back_as_json(tmp_path):
    reply = call_child(CHILD, {"x": [1, 2]}, timeout=120, workdir=tmp_path)
    assert reply.data == {"echo": {"x": [1, 2]}} and reply.error is None


def test_a_failing_child_gives_its_exit_code_and_last_words(tmp_path):
    reply = call_child(CHILD, {"fail": True}, timeout=120, workdir=tmp_path)
    assert reply.data is None and not reply.timed_out
    assert reply.error.startswith("exited with code 1") and "the child gave up" in reply.error


def test_a_child_that_never_answers_is_killed_at_its_timeout(tmp_path):
    reply = call_child(CHILD, {"hang": True}, timeout=1, workdir=tmp_path)
    assert reply.timed_out and reply.data is None and "timed out after 1 s" in reply.error


def test_a_job_survives_the_trip_with_its_resolved_options():
    job = Job(scenario=Scenario(name="s", loader="arrow-native", options={"threads": 2}),
              repeat=1, source={"root": "/d"}, preprocessor="/p.json", n_classes=4)
    assert Job.from_dict(job.to_dict()) == job


@pytest.fixture(scope="module")
def forked():
    with forking():
        yield


def test_a_forked_child_answers_fails_and_is_killed_like_a_fresh_one(forked, tmp_path):
    assert call_child(CHILD, {"x": 1}, timeout=120, workdir=tmp_path).data == {"echo": {"x": 1}}
    failed = call_child(CHILD, {"fail": True}, timeout=120, workdir=tmp_path)
    assert failed.error.startswith("exited with code 1") and "the child gave up" in failed.error
    hung = call_child(CHILD, {"hang": True}, timeout=1, workdir=tmp_path)
    assert hung.timed_out and "timed out after 1 s" in hung.error
    again = call_child(CHILD, {"y": 2}, timeout=120, workdir=tmp_path)  # the server goes on
    assert again.data == {"echo": {"y": 2}}

