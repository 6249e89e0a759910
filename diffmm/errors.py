"""The base class of errors caused by the user's input (config, files, data), not by a bug.

The CLI and the recipes catch ``DiffmmError`` and print its message on one line, without a
traceback; anything else is a bug and keeps its traceback.
"""


class DiffmmError(Exception):
    """A problem the user can fix: a bad config value, a missing or corrupt file, a diverged run."""
