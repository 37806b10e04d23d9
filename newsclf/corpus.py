"""Reading labelled corpora and other tabular text files as streams of rows.

Formats, chosen by file name (``.csv``, ``.tsv``, ``.jsonl``/``.ndjson``, each optionally ``.gz``)
or by ``fmt``:

- CSV/TSV: a header row, then records; the delimiter is given or guessed from the header line
  among ``, ; TAB |``; quoted fields may hold delimiters and line breaks; a UTF-8 byte-order mark is
  ignored. Line numbers in messages are physical lines (the record's first line).
- JSONL: one JSON object per line; a multi-label cell may be a list.

:func:`read_rows` yields ``(line, row_dict)`` for any such file, so scoring can reuse it.
:func:`read_corpus` maps rows to training records for a set of tasks, validating each row: a row
with no text or with a bad label is reported (file and line) and skipped, or raises when
``strict``. A missing column is always an error listing the columns that exist.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from .errors import CorpusError, LabelError
from .schema import Task

__all__ = ["CorpusReport", "Table", "check_records", "detect_format", "open_text", "read_corpus", "read_rows"]

log = logging.getLogger(__name__)

_DELIMITERS = (",", ";", "\t", "|")
csv.field_size_limit(2**31 - 1)


def detect_format(path: str) -> str:
    """``"csv"``, ``"tsv"`` or ``"jsonl"`` from a file name (a ``.gz`` suffix is looked through)."""
    name = os.path.basename(str(path)).lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for suffix, fmt in ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "jsonl"), (".tsv", "tsv"), (".tab", "tsv")):
        if name.endswith(suffix):
            return fmt
    return "csv"


def open_text(path: str, encoding: str = "utf-8-sig") -> io.TextIOBase:
    """Open ``path`` (or ``"-"`` for stdin) for reading text, gunzipping when it is gzip data."""
    if path == "-":
        import sys

        return io.TextIOWrapper(sys.stdin.buffer, encoding=encoding, newline="")
    try:
        raw = open(path, "rb")
    except FileNotFoundError:
        raise CorpusError("no such file", path) from None
    except IsADirectoryError:
        raise CorpusError("is a directory, not a file", path) from None
    except OSError as exc:
        raise CorpusError(f"cannot open: {exc.strerror}", path) from None
    if raw.peek(2)[:2] == b"\x1f\x8b":
        raw = gzip.GzipFile(fileobj=raw)
    return io.TextIOWrapper(raw, encoding=encoding, newline="")


def _decode_error(path: str, line: int | None, exc: UnicodeDecodeError, encoding: str) -> CorpusError:
    hint = " (try --encoding latin-1)" if encoding.lower().replace("_", "-").startswith("utf") else ""
    return CorpusError(f"cannot decode the text as {encoding}: {exc.reason}{hint}", path, line)


def _guess_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


class Table:
    """An open CSV/TSV/JSONL file, read record by record.

    For CSV/TSV, ``header`` is the list of column names and records are lists of cells (possibly
    ragged); for JSONL, ``header`` is ``None`` and records are dicts, or the raw line as a string
    when it is not a JSON object. Iterating yields ``(line, record)``; ``line`` is the record's
    first physical line. ``tell()`` is how many bytes of the file have been consumed.
    """

    def __init__(self, path: str, fmt: str | None = None, delimiter: str | None = None, encoding: str = "utf-8-sig"):
        self.path = str(path)
        self.fmt = fmt or detect_format(self.path)
        if self.fmt not in ("csv", "tsv", "jsonl"):
            raise ValueError(f"fmt must be 'csv', 'tsv' or 'jsonl' (got {self.fmt!r})")
        self.encoding = encoding
        self._stream = open_text(self.path, encoding)
        self.header: list[str] | None = None
        self.delimiter = delimiter or ("\t" if self.fmt == "tsv" else None)
        try:
            if self.fmt != "jsonl":
                self._read_header()
        except UnicodeDecodeError as exc:
            self.close()
            raise _decode_error(self.path, 1, exc, encoding) from None
        except BaseException:
            self.close()
            raise

    def _read_header(self) -> None:
        header_text = self._stream.readline()
        if not header_text.strip():
            raise CorpusError("the file is empty (no header row)", self.path, 1)
        if "\x00" in header_text:
            raise CorpusError("the header holds NUL bytes: this is not a text file (or not in this encoding)", self.path, 1)
        self.delimiter = self.delimiter or _guess_delimiter(header_text)
        header = [h.strip() for h in next(csv.reader([header_text], delimiter=self.delimiter))]
        dupes = [h for h, n in Counter(header).items() if n > 1]
        if dupes:
            raise CorpusError(f"duplicated column name(s) in the header: {', '.join(map(repr, dupes))}", self.path, 1)
        self.header = header

    def tell(self) -> int:
        raw = self._stream.buffer
        raw = getattr(raw, "fileobj", raw)  # through gzip, the compressed offset
        try:
            return raw.tell()
        except (OSError, ValueError):
            return 0

    def size(self) -> int | None:
        """The file's size in bytes (``None`` for stdin)."""
        return None if self.path == "-" else os.path.getsize(self.path)

    def __iter__(self):
        try:
            yield from (self._jsonl() if self.fmt == "jsonl" else self._csv())
        except UnicodeDecodeError as exc:
            raise _decode_error(self.path, None, exc, self.encoding) from None

    def _jsonl(self):
        for line, text in enumerate(self._stream, 1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                yield line, CorpusError(f"not valid JSON: {exc.msg} at column {exc.colno}", self.path, line), text
                continue
            if not isinstance(row, dict):
                yield line, CorpusError(f"each line must be a JSON object (got {type(row).__name__})", self.path, line), text
                continue
            yield line, row, text

    def _csv(self):
        reader = csv.reader(self._stream, delimiter=self.delimiter, strict=False)
        previous_end = 1
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise CorpusError(f"malformed CSV: {exc}", self.path, previous_end + 1) from None
            start, previous_end = previous_end + 1, reader.line_num + 1
            if record:
                yield start, record, None

    def close(self) -> None:
        self._stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_rows(
    path: str, fmt: str | None = None, delimiter: str | None = None, encoding: str = "utf-8-sig"
) -> Iterator[tuple[int, dict]]:
    """Yield ``(line, row)`` for each record of a CSV/TSV/JSONL file (``"-"`` is stdin).

    A ragged CSV record comes with the key ``"__error__"``. Raises :class:`CorpusError` for an empty
    file, a duplicated column, undecodable bytes or (JSONL) a line that is not a JSON object.
    """
    with Table(path, fmt, delimiter, encoding) as table:
        seen = False
        for line, record, _ in table:
            seen = True
            if isinstance(record, CorpusError):
                raise record
            if table.header is None:
                yield line, record
            elif len(record) != len(table.header):
                found = f"expected {len(table.header)} fields, found {len(record)}"
                yield line, {"__error__": found, **dict(zip(table.header, record))}
            else:
                yield line, dict(zip(table.header, record))
        if not seen and table.header is None:
            raise CorpusError("the file is empty", path)


@dataclass
class CorpusReport:
    """What reading a corpus kept and skipped."""

    rows: int = 0
    kept: int = 0
    skipped: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)  # the first few skip messages, with file and line

    def skip(self, error: CorpusError) -> None:
        self.skipped[error.reason.split(":")[0]] += 1
        if len(self.examples) < 10:
            self.examples.append(str(error))

    def to_json(self) -> dict:
        return {"rows": self.rows, "kept": self.kept, "skipped": dict(self.skipped), "examples": self.examples}


def read_corpus(
    paths: str | Sequence[str],
    tasks: Sequence[Task],
    *,
    title_column: str = "title",
    body_column: str | None = "body",
    text_column: str | None = None,
    label_columns: dict[str, str] | None = None,
    fmt: str | None = None,
    delimiter: str | None = None,
    encoding: str = "utf-8-sig",
    strict: bool = False,
    report: CorpusReport | None = None,
    extra_columns: Sequence[str] = (),
) -> Iterator[dict]:
    """Yield training records ``{"title", "body", <task>: labels, "source": "file:line"}``.

    Columns named in ``extra_columns`` are copied into each record as they are ("" when absent).
    ``label_columns`` maps a task name to the column holding its labels (default: the task name).
    ``text_column`` reads a single text field as the title and no body. Rows skipped (no text, a
    bad label, a ragged line) are counted in ``report``; with ``strict`` the first one raises.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    report = report if report is not None else CorpusReport()
    label_columns = {t.name: (label_columns or {}).get(t.name, t.name) for t in tasks}
    if text_column is not None:
        title_column, body_column = text_column, None
    for path in paths:
        path = os.fspath(path)
        checked = False
        for line, row in read_rows(path, fmt, delimiter, encoding):
            report.rows += 1
            if not checked and "__error__" not in row:
                needed = [*([] if body_column in row else [title_column]), *label_columns.values()]
                missing = [c for c in needed if c not in row]
                if missing:
                    raise CorpusError(
                        f"missing column(s) {', '.join(map(repr, missing))}; the columns are: "
                        f"{', '.join(k for k in row if k != '__error__')}",
                        path,
                    )
                checked = True
            try:
                record = _record(row, tasks, title_column, body_column, label_columns, path, line)
                for column in extra_columns:
                    record[column] = row.get(column, "")
                yield record
                report.kept += 1
            except CorpusError as exc:
                if strict:
                    raise
                report.skip(exc)
    if report.skipped:
        log.warning("skipped %d of %d rows: %s", sum(report.skipped.values()), report.rows, dict(report.skipped))


def check_records(records, tasks: Sequence[Task], *, strict: bool = False, report: CorpusReport | None = None):
    """Validate an iterable of in-memory records (``{"title", "body", <task>: labels}``) like corpus rows."""
    report = report if report is not None else CorpusReport()
    label_columns = {t.name: t.name for t in tasks}
    for index, row in enumerate(records):
        report.rows += 1
        if not isinstance(row, dict):
            raise TypeError(f"record {index} must be a dict with 'title', 'body' and task labels (got {type(row).__name__})")
        try:
            yield _record(row, tasks, "title", "body", label_columns, "<records>", index)
            report.kept += 1
        except CorpusError as exc:
            if strict:
                raise
            report.skip(exc)


def _record(row, tasks, title_column, body_column, label_columns, path, line) -> dict:
    if "__error__" in row:
        raise CorpusError(f"ragged row: {row['__error__']}", path, line)
    title = row.get(title_column)
    body = row.get(body_column) if body_column else ""
    title = "" if title is None else title
    body = "" if body is None else body
    if not isinstance(title, str) or not isinstance(body, str):
        raise CorpusError("text must be a string", path, line)
    if not title.strip() and not body.strip():
        raise CorpusError("no text: title and body are empty", path, line)
    record = {"title": title, "body": body, "source": f"{path}:{line}"}
    for task in tasks:
        try:
            record[task.name] = task.parse(row.get(label_columns[task.name]))
        except LabelError as exc:
            raise CorpusError(f"bad label: {exc}", path, line) from None
    return record
