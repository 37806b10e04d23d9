"""Tasks and their labels: what a model predicts for every document.

A model predicts one or more :class:`Task` objects. A task is ``"single"``-label (exactly one label
per document, e.g. ``region``) or ``"multi"``-label (a set of labels, e.g. ``topic``). A multi-label
task may have an *empty* label (the default schema's ``other``): it is predicted exactly when no
other label clears its threshold, and never together with another label.

Tasks are written compactly as ``"name:kind[:empty]"`` on the command line, or as a mapping
``{"name": "kind[:empty]"}`` in Python:

- ``"topic:multi:other"`` names ``other`` as the empty label;
- ``"topic:multi"`` lets training decide: a label called ``other`` or ``none`` that never shares a
  document with another label becomes the empty label;
- ``"topic:multi:"`` (trailing colon) means the task has no empty label.

Labels are read from corpus cells by :meth:`Task.parse`: a multi-label cell is a list or a string
with labels separated by ``|``; a single-label cell is one string.

The default schema follows the newsclf taxonomy (``TAXONOMY.md`` in the project docs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from .errors import LabelError

__all__ = ["DEFAULT_TASKS", "EMPTY_LABEL_NAMES", "Task", "parse_tasks"]

#: Label names that are taken as a multi-label task's empty label when the task does not name one.
EMPTY_LABEL_NAMES = ("other", "none")
_AUTO = "<auto>"


@dataclass(frozen=True)
class Task:
    """One thing the model predicts.

    Parameters
    ----------
    name : str
        The task's name, also the corpus column that holds its labels.
    kind : {"single", "multi"}
    labels : tuple of str or None
        The allowed labels, sorted; ``None`` until learned from a corpus.
    empty : str or None
        For a multi-label task, the label predicted when no other applies.
    """

    name: str
    kind: str
    labels: tuple[str, ...] | None = None
    empty: str | None = _AUTO

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip() or "|" in self.name:
            raise ValueError(f"task name must be a non-empty string without '|' (got {self.name!r})")
        if self.kind not in ("single", "multi"):
            raise ValueError(f"task kind must be 'single' or 'multi' (got {self.kind!r})")
        if self.kind == "single" and self.empty not in (None, _AUTO):
            raise ValueError(f"task {self.name!r}: only a multi-label task can have an empty label")
        if self.kind == "single" and self.empty == _AUTO:
            object.__setattr__(self, "empty", None)
        if self.labels is not None:
            labels = tuple(sorted(set(self.labels)))
            object.__setattr__(self, "labels", labels)
            if self.empty not in (None, _AUTO) and self.empty not in labels:
                raise ValueError(f"task {self.name!r}: empty label {self.empty!r} is not among {labels}")

    @property
    def is_multi(self) -> bool:
        return self.kind == "multi"

    @property
    def scored_labels(self) -> tuple[str, ...]:
        """The labels that get a classifier: all but the empty label."""
        if self.labels is None:
            raise ValueError(f"task {self.name!r} has no labels yet")
        return tuple(label for label in self.labels if label != self.empty)

    def parse(self, value) -> tuple[str, ...]:
        """Labels of one corpus cell, validated against ``labels`` when they are known.

        Raises :class:`LabelError` on an empty cell, an unknown label, more than one label for a
        single-label task, or the empty label combined with another.
        """
        if value is None:
            items: list = []
        elif isinstance(value, str):
            items = value.split("|") if self.is_multi else [value]
        elif isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
            items = list(value)
        else:
            raise LabelError(f"task {self.name!r}: labels must be a string or a list (got {type(value).__name__})")
        if not all(isinstance(item, str) for item in items):
            raise LabelError(f"task {self.name!r}: every label must be a string (got {items!r:.80})")
        labels = tuple(dict.fromkeys(item.strip() for item in items if item.strip()))
        if not labels:
            raise LabelError(f"task {self.name!r}: no label")
        if not self.is_multi and len(labels) != 1:
            raise LabelError(f"task {self.name!r} is single-label but got {len(labels)} labels: {'|'.join(labels)}")
        if self.labels is not None:
            unknown = [label for label in labels if label not in self.labels]
            if unknown:
                raise LabelError(f"task {self.name!r}: unknown label {unknown[0]!r} (known: {', '.join(self.labels)})")
        if self.empty not in (None, _AUTO) and self.empty in labels and len(labels) > 1:
            raise LabelError(f"task {self.name!r}: {self.empty!r} cannot go together with other labels ({'|'.join(labels)})")
        return tuple(sorted(labels))

    def resolve(self, rows: Iterable[tuple[str, ...]]) -> "Task":
        """This task with ``labels`` (and an automatic empty label) settled from training labels."""
        rows = list(rows)
        # Only labels seen in training get a classifier; a declared empty label needs none.
        seen = {label for row in rows for label in row}
        if self.labels is not None and self.empty not in (None, _AUTO):
            seen.add(self.empty)
        seen = sorted(seen)
        empty = self.empty
        if self.is_multi and empty == _AUTO:
            empty = None
            for name in EMPTY_LABEL_NAMES:
                if name in seen and all(len(row) == 1 for row in rows if name in row):
                    empty = name
                    break
        return replace(self, labels=tuple(seen), empty=empty)

    @property
    def spec(self) -> str:
        """The compact spelling ``name:kind[:empty]`` that :func:`parse_tasks` reads back."""
        if not self.is_multi or self.empty == _AUTO:
            return f"{self.name}:{self.kind}"
        return f"{self.name}:multi:{self.empty or ''}"

    def to_json(self) -> dict:
        return {"name": self.name, "kind": self.kind, "labels": list(self.labels or ()), "empty": self.empty}

    @classmethod
    def from_json(cls, data: Mapping) -> "Task":
        return cls(data["name"], data["kind"], tuple(data["labels"]), data["empty"])


#: The default schema of the newsclf taxonomy: topic (multi-label, ``other`` when none applies) and region.
DEFAULT_TASKS = (
    Task("topic", "multi", ("diplomacy", "economy", "military", "other"), "other"),
    Task(
        "region",
        "single",
        ("africa", "asia", "europe", "global", "latin_america", "middle_east", "north_america", "oceania"),
    ),
)


def _parse_spec(name: str, spec) -> Task:
    if isinstance(spec, Task):
        return spec
    if not isinstance(spec, str):
        raise ValueError(f"task {name!r}: spec must be 'single', 'multi' or 'multi:EMPTY' (got {spec!r})")
    kind, sep, empty = spec.partition(":")
    if kind == "single" and sep:
        raise ValueError(f"task {name!r}: a single-label task takes no empty label (got {spec!r})")
    return Task(name, kind, None, (empty or None) if sep else _AUTO)


def parse_tasks(tasks) -> tuple[Task, ...]:
    """Tasks from any accepted spelling; ``None`` gives :data:`DEFAULT_TASKS`.

    >>> [t.name for t in parse_tasks({"topic": "multi:other", "region": "single"})]
    ['topic', 'region']
    >>> parse_tasks(["region:single"])[0].kind
    'single'
    """
    if tasks is None:
        return DEFAULT_TASKS
    if isinstance(tasks, str):
        tasks = [tasks]
    if isinstance(tasks, Mapping):
        parsed = [_parse_spec(str(name), spec) for name, spec in tasks.items()]
    elif isinstance(tasks, Iterable):
        parsed = []
        for item in tasks:
            if isinstance(item, Task):
                parsed.append(item)
            elif isinstance(item, str) and ":" in item:
                name, _, spec = item.partition(":")
                parsed.append(_parse_spec(name, spec))
            else:
                raise ValueError(f"a task must be written 'name:single' or 'name:multi[:EMPTY]' (got {item!r})")
    else:
        raise ValueError(f"tasks must be a mapping, a list of 'name:kind' strings or None (got {tasks!r})")
    names = [t.name for t in parsed]
    if not parsed:
        raise ValueError("tasks must name at least one task")
    if len(set(names)) != len(names):
        raise ValueError(f"task names must be unique (got {names})")
    return tuple(parsed)
