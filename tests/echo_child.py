"""A child for the protocol tests: answers {"echo": REQUEST}, fails, or never answers."""

from __future__ import annotations

import sys
import threading

from loaderbench.harness.protocol import child_main


def answer(request: dict) -> dict:
    if request.get("fail"):
        raise SystemExit("the child gave up")
    if request.get("hang"):
        threading.Event().wait()
    return {"echo": request}


def main(argv: list[str] | None = None) -> int:
    return child_main(argv, answer)


if __name__ == "__main__":
    sys.exit(child_main(None, answer))
