"""SIGTERM and SIGHUP take Ctrl-C's path: an exception that unwinds, exit 128 + signal."""

from __future__ import annotations

import os
import signal

import pytest

from loaderbench import cli
from loaderbench.signals import Terminated, interrupts


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_raises_terminated_and_the_handlers_come_back(sig):
    before = signal.getsignal(sig)
    with pytest.raises(Terminated) as caught, interrupts():
        os.kill(os.getpid(), sig)
    assert caught.value.signum == sig
    assert isinstance(caught.value, KeyboardInterrupt)  # so every Ctrl-C clean-up runs
    assert signal.getsignal(sig) == before


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_the_cli_exits_128_plus_the_signal(monkeypatch, capsys, sig, code):
    def killed(args):
        os.kill(os.getpid(), sig)
        return 0

    monkeypatch.setitem(cli.COMMANDS, "list", killed)
    assert cli.main(["list"]) == code
    assert f"stopped by {signal.Signals(sig).name}" in capsys.readouterr().err
