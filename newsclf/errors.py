"""The exceptions newsclf raises for domain failures.

Misuse of the API (a wrong type, an out-of-range parameter) raises the built-in ``TypeError`` or
``ValueError``. Everything that goes wrong with the user's data or files raises a subclass of
:class:`NewsclfError`, so one ``except NewsclfError`` catches them all::

    NewsclfError
    ├── CorpusError        a corpus file or row cannot be read (names file, line and column)
    ├── LabelError         a label is not in the task's label set, or a task is unknown
    └── ModelFormatError   a model directory is missing, damaged, foreign or unsafe

The command line turns any of them into one line on stderr and exit code 2.
"""

from __future__ import annotations

__all__ = ["CorpusError", "LabelError", "ModelFormatError", "NewsclfError"]


class NewsclfError(Exception):
    """Base class of every newsclf domain error."""


class CorpusError(NewsclfError):
    """A corpus file or one of its rows cannot be used.

    ``path``, ``line`` (1-based, of the row's first physical line) and ``column`` (1-based, in
    characters, for an error that has a precise place: an undecodable byte, an unclosed quote) say
    where, when known; the message starts with ``path:line:column:``.
    """

    def __init__(self, message: str, path: str | None = None, line: int | None = None, column: int | None = None):
        self.path, self.line, self.column, self.reason = path, line, column, message
        where = ":".join(str(p) for p in (path, line, column if line is not None else None) if p is not None)
        super().__init__(f"{where}: {message}" if where else message)


class LabelError(NewsclfError):
    """A label or task that the schema does not know."""


class ModelFormatError(NewsclfError):
    """A model directory that cannot be loaded safely (missing, damaged, foreign or unsafe)."""
