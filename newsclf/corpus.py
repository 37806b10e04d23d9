"""Reading labelled corpora and other tabular text files as streams of rows.

Formats, chosen by file name (``.csv``, ``.tsv``, ``.jsonl``/``.ndjson``, each optionally ``.gz``)
or by ``fmt``:

- CSV/TSV: a header row, then records; the delimiter is given or guessed from the header line
  among ``, ; TAB |``; quoted fields may hold delimiters and line breaks; line ends may be LF, CRLF
  or CR; a UTF-8 byte-order mark is ignored. Line numbers in messages are physical lines (the
  record's first line).
- JSONL: one JSON object per line; a multi-label cell may be a list.

What cannot be read is a :class:`CorpusError` naming the file and, where there is one, the line
and column: undecodable bytes (with the encoding to try), a quote that is never closed (which would
otherwise swallow the rest of the file into one field), damaged gzip data, an empty file, a
duplicated column. A row that can be read but not used (ragged, no text, a bad label) is reported
by :func:`read_corpus` and skipped.

:func:`read_rows` yields ``(line, row_dict)`` for any such file, so scoring can reuse it.
:func:`read_corpus` maps rows to training records for a set of tasks, validating each row: a row
with no text or with a bad label is reported (file and line) and skipped, or raises when
``strict``. A missing column is always an error listing the columns that exist.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import logging
import os
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
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


# Errors of a damaged or cut-short gzip stream (BadGzipFile is an OSError).
_GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


def _check_encoding(encoding: str) -> str:
    """The codec name to read with: plain UTF-8 is read as ``utf-8-sig``, so a BOM never lands in a cell."""
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError):
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):  # e.g. "base64" is a bytes-to-bytes codec
        raise ValueError(f"encoding must be a text encoding Python knows, e.g. utf-8 or latin-1 (got {encoding!r})")
    return "utf-8-sig" if info.name == "utf-8" else encoding


def _open_binary(path: str):
    """``path`` opened for reading bytes, through gzip when it starts with the gzip magic number."""
    try:
        raw = open(path, "rb")
    except FileNotFoundError:
        raise CorpusError("no such file", path) from None
    except IsADirectoryError:
        raise CorpusError("is a directory, not a file", path) from None
    except OSError as exc:
        raise CorpusError(f"cannot open: {exc.strerror}", path) from None
    if raw.peek(2)[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw)
    return raw


def open_text(path: str, encoding: str = "utf-8-sig") -> io.TextIOBase:
    """Open ``path`` (or ``"-"`` for stdin) for reading text, gunzipping when it is gzip data.

    Line ends are left as they are (``newline=""``), as the csv module needs. ``"utf-8"`` reads
    like ``"utf-8-sig"``: a leading byte-order mark is dropped.
    """
    encoding = _check_encoding(encoding)
    if path == "-":
        import sys

        return io.TextIOWrapper(sys.stdin.buffer, encoding=encoding, newline="")
    return io.TextIOWrapper(_open_binary(path), encoding=encoding, newline="")


def _locate_undecodable(path: str, encoding: str) -> tuple[int | None, int | None, bytes]:
    """Line and column (1-based) of the first byte of ``path`` that ``encoding`` cannot decode, and the bytes.

    Called only after decoding failed: it reads the file again, line by line, up to the bad byte.
    """
    if path == "-":
        return None, None, b""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    try:
        with _open_binary(path) as raw:
            for chunk in raw:  # split at LF; splitlines() also splits at CR, as the reader does
                for piece in chunk.splitlines(keepends=True):
                    try:
                        decoder.decode(piece)
                    except UnicodeDecodeError as exc:
                        start = max(0, min(exc.start, len(piece)))
                        column = len(piece[:start].decode(encoding, errors="replace")) + 1
                        return line, column, piece[start : max(exc.end, start + 1)]
                    line += 1
    except (CorpusError, OSError, *_GZIP_ERRORS):
        pass
    return None, None, b""


def _decode_error(path: str, exc: UnicodeDecodeError, encoding: str) -> CorpusError:
    line, column, bad = _locate_undecodable(path, encoding)
    bad = bad or exc.object[exc.start : exc.end]
    hint = ""
    if encoding.lower().replace("_", "-").startswith("utf"):
        hint = " (try --encoding latin-1)"
        if path != "-":
            try:
                with open(path, "rb") as f:
                    if f.read(2) in (b"\xff\xfe", b"\xfe\xff"):
                        hint = " (the file starts with a UTF-16 byte-order mark: try --encoding utf-16)"
            except OSError:
                pass
    shown = "utf-8" if encoding == "utf-8-sig" else encoding
    return CorpusError(f"cannot decode byte(s) {bad.hex(' ')} as {shown}: {exc.reason}{hint}", path, line, column)


def _gzip_error(path: str, line: int | None, exc: Exception) -> CorpusError:
    return CorpusError(f"the gzip data is damaged or cut short ({str(exc) or type(exc).__name__}); decompress it to check", path, line)


_FIELD_ENDS: dict[str, re.Pattern] = {}


def _scan_quotes(text: str, delimiter: str, quoted: bool) -> tuple[bool, int | None]:
    """Follow one physical CSV line from state ``quoted`` (inside a quoted field or not).

    Returns whether a quoted field is still open at the end of the line and, if one opened on this
    line, the 1-based column of its quote. Follows the csv module's lenient reading: a quote opens a
    quoted field only at the start of a field; inside one, a doubled quote is a literal quote.
    """
    field_end = _FIELD_ENDS.get(delimiter)
    if field_end is None:
        field_end = _FIELD_ENDS[delimiter] = re.compile(f"[{re.escape(delimiter)}\r\n]")
    opened, pos, n = None, 0, len(text)
    while pos < n:
        if quoted:
            close = text.find('"', pos)
            if close < 0:
                break  # the quoted field goes on to the next line
            if close + 1 < n and text[close + 1] == '"':
                pos = close + 2  # an escaped quote
                continue
            quoted = False
            match = field_end.search(text, close + 1)  # after a closing quote, the field runs to a delimiter
            pos = n if match is None else match.end()
        elif text[pos] == '"':
            quoted, opened, pos = True, pos + 1, pos + 1
        else:
            match = field_end.search(text, pos)
            pos = n if match is None else match.end()
    return quoted, opened if quoted else None


def _unclosed_quote(lines: list[str], delimiter: str) -> tuple[int, int] | None:
    """Where (line index, column) the quote left open at the end of a CSV record's ``lines`` opened."""
    quoted, where = False, None
    for index, text in enumerate(lines):
        quoted, column = _scan_quotes(text, delimiter, quoted)
        if column is not None:
            where = (index, column)
    return where if quoted else None


def _guess_delimiter(header: str) -> str:
    """The most frequent of ``, ; TAB |`` in the header line, outside quoted names (``,`` if none)."""
    unquoted = re.sub(r'"(?:[^"]|"")*"', "", header)
    counts = {d: unquoted.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


class Table:
    """An open CSV/TSV/JSONL file, read record by record.

    For CSV/TSV, ``header`` is the list of column names (``raw_header``: as written, before
    surrounding spaces are stripped) and records are lists of cells (possibly ragged); for JSONL,
    ``header`` is ``None`` and records are dicts, or the raw line as a string when it is not a JSON
    object. Iterating yields ``(line, record)``; ``line`` is the record's
    first physical line. ``tell()`` is how many bytes of the file have been consumed.
    """

    def __init__(self, path: str, fmt: str | None = None, delimiter: str | None = None, encoding: str = "utf-8-sig"):
        self.path = str(path)
        self.fmt = fmt or detect_format(self.path)
        if self.fmt not in ("csv", "tsv", "jsonl"):
            raise ValueError(f"fmt must be 'csv', 'tsv' or 'jsonl' (got {self.fmt!r})")
        self.encoding = _check_encoding(encoding)
        self._stream = open_text(self.path, self.encoding)
        self.header: list[str] | None = None  # column names, stripped of surrounding spaces
        self.raw_header: list[str] | None = None  # the header's cells as written
        self.delimiter = delimiter or ("\t" if self.fmt == "tsv" else None)
        self._line = 1  # the physical line being read, for messages
        self.header_line = 1
        try:
            if self.fmt != "jsonl":
                self._read_header()
        except UnicodeDecodeError as exc:
            self.close()
            raise _decode_error(self.path, exc, self.encoding) from None
        except _GZIP_ERRORS as exc:
            self.close()
            raise _gzip_error(self.path, 1, exc) from None
        except BaseException:
            self.close()
            raise

    def _read_header(self) -> None:
        header_text = self._stream.readline()
        while header_text and not header_text.strip():  # blank lines before the header are skipped
            self.header_line += 1
            header_text = self._stream.readline()
        if not header_text:
            empty = "the file is empty" if self.header_line == 1 else "the file holds only blank lines"
            raise CorpusError(f"{empty} (no header row)", self.path)
        if "\x00" in header_text:
            raise CorpusError("the header holds NUL bytes: this is not a text file (or not in this encoding)", self.path, self.header_line)
        self.delimiter = self.delimiter or _guess_delimiter(header_text)
        lines, first = [header_text], self.header_line
        quoted, column = _scan_quotes(header_text, self.delimiter, False)
        while quoted:  # a quoted column name may hold line breaks
            more = self._stream.readline()
            if not more:
                raise CorpusError("the header has a quote that is never closed", self.path, first, column)
            lines.append(more)
            self.header_line += 1
            quoted, opened = _scan_quotes(more, self.delimiter, True)
            if opened is not None:
                first, column = self.header_line, opened
        self.raw_header = next(csv.reader(lines, delimiter=self.delimiter))
        header = [h.strip() for h in self.raw_header]
        dupes = [h for h, n in Counter(header).items() if n > 1]
        if dupes:
            raise CorpusError(f"duplicated column name(s) in the header: {', '.join(map(repr, dupes))}", self.path, self.header_line)
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
            raise _decode_error(self.path, exc, self.encoding) from None
        except _GZIP_ERRORS as exc:
            raise _gzip_error(self.path, self._line, exc) from None

    def _jsonl(self):
        for line, text in enumerate(self._stream, 1):
            self._line = line
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                yield line, CorpusError(f"not valid JSON: {exc.msg} at column {exc.colno}", self.path, line), text
                continue
            except (ValueError, RecursionError) as exc:  # e.g. an integer of 5,000 digits, arrays nested 10,000 deep
                reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(";")[0]
                yield line, CorpusError(f"not valid JSON: {reason}", self.path, line), text
                continue
            if not isinstance(row, dict):
                yield line, CorpusError(f"each line must be a JSON object (got {type(row).__name__})", self.path, line), text
                continue
            yield line, row, text

    def _lines(self, pending: list[str]):
        """The stream's lines, each also appended to ``pending``; ``None`` appended at the end of the file."""
        for text in self._stream:
            pending.append(text)
            yield text
        pending.append(None)

    def _csv(self):
        # The reader gets its lines through _lines(), which keeps the lines of the current record:
        # a record that only ended at the end of the file holds a quote that was never closed.
        pending: list[str | None] = []
        reader = csv.reader(self._lines(pending), delimiter=self.delimiter, strict=False)
        previous_end = self.header_line
        while True:
            self._line = previous_end + 1
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise CorpusError(f"malformed CSV: {exc}", self.path, previous_end + 1) from None
            start, previous_end = previous_end + 1, reader.line_num + 1
            if pending and pending[-1] is None:
                self._refuse_unclosed_quote(pending[:-1], start)
            pending.clear()
            if record:
                yield start, record, None

    def _refuse_unclosed_quote(self, lines: list[str], start: int) -> None:
        where = _unclosed_quote(lines, self.delimiter)
        if where is not None:
            index, column = where
            raise CorpusError(
                f"a quoted field opened here is never closed, so the rest of the file ({len(lines) - index} line(s)) "
                "would be read as one field; close the quote or double it (\"\") if it is part of the text",
                self.path, start + index, column,
            )  # fmt: skip

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
    file, a duplicated column, undecodable bytes, an unclosed quote, damaged gzip data or (JSONL) a
    line that is not a JSON object.
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


def check_records(records, tasks: Sequence[Task], *, strict: bool = False, report: CorpusReport | None = None,
                  extra_columns: Sequence[str] = ()):  # fmt: skip
    """Validate an iterable of in-memory records (``{"title", "body", <task>: labels}``) like corpus rows.

    Keys named in ``extra_columns`` are copied into each record as they are (``None`` when absent).
    """
    report = report if report is not None else CorpusReport()
    label_columns = {t.name: t.name for t in tasks}
    for index, row in enumerate(records):
        report.rows += 1
        if not isinstance(row, dict):
            raise TypeError(f"record {index} must be a dict with 'title', 'body' and task labels (got {type(row).__name__})")
        try:
            record = _record(row, tasks, "title", "body", label_columns, "<records>", index)
            for column in extra_columns:
                record[column] = row.get(column)
            yield record
            report.kept += 1
        except CorpusError as exc:
            if strict:
                raise
            report.skip(exc)


def gather_records(corpus, tasks: Sequence[Task], *, strict: bool = False, extra_columns: Sequence[str] = (),
                   **reading) -> tuple[list[dict], CorpusReport, list[str]]:  # fmt: skip
    """Every usable record of a corpus, with the report of what was skipped and the sources read.

    ``corpus`` is a path, a list of paths (read with :func:`read_corpus` and the ``reading``
    options: ``title_column``, ``label_columns``, ``encoding``, ...) or an iterable of in-memory
    records (checked with :func:`check_records`). Raises :class:`CorpusError` when no row is usable.
    """
    report = CorpusReport()
    if isinstance(corpus, (str, os.PathLike)) or (
        isinstance(corpus, (list, tuple)) and corpus and all(isinstance(c, (str, os.PathLike)) for c in corpus)
    ):
        sources = [os.fspath(corpus)] if isinstance(corpus, (str, os.PathLike)) else [os.fspath(c) for c in corpus]
        records = list(read_corpus(sources, tasks, strict=strict, report=report, extra_columns=extra_columns, **reading))
    elif isinstance(corpus, Iterable) and not isinstance(corpus, (str, bytes, Mapping)):
        records = list(check_records(corpus, tasks, strict=strict, report=report, extra_columns=extra_columns))
        sources = ["<records>"]
    else:
        raise TypeError(f"corpus must be a path, a list of paths or an iterable of records (got {type(corpus).__name__})")
    if not records:
        raise CorpusError(f"no usable rows in the corpus ({report.rows} read; skipped: {dict(report.skipped) or 'none'})")
    return records, report, sources


def _cell_text(value, column: str, path, line) -> str:
    """A text cell as a string: missing, ``null`` and NaN are empty; a number or a list is an error."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if not isinstance(value, str):
        raise CorpusError(f"text must be a string: column {column!r} holds {type(value).__name__} {value!r:.40}", path, line)
    return value


def _record(row, tasks, title_column, body_column, label_columns, path, line) -> dict:
    if "__error__" in row:
        raise CorpusError(f"ragged row: {row['__error__']}", path, line)
    title = _cell_text(row.get(title_column), title_column, path, line)
    body = _cell_text(row.get(body_column), body_column, path, line) if body_column else ""
    if not title.strip() and not body.strip():
        raise CorpusError("no text: title and body are empty", path, line)
    record = {"title": title, "body": body, "source": f"{path}:{line}"}
    for task in tasks:
        try:
            record[task.name] = task.parse(row.get(label_columns[task.name]))
        except LabelError as exc:
            raise CorpusError(f"bad label: {exc}", path, line) from None
    return record
