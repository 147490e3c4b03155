"""The one exception type that means "the user's input is wrong": the CLI prints its
message on one line and exits 2, with no traceback unless --debug."""


class UsageError(Exception):
    """Bad input: names the problem and the fix."""
