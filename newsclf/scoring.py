"""Scoring files at scale: stream rows in, predictions out, one output row per input row.

:func:`score_file` reads a CSV/TSV/JSONL file (gzip and stdin too) in chunks, predicts each chunk,
and writes every input row back unchanged followed by the prediction columns:

- ``pred_<task>``: the predicted labels joined by ``|``;
- ``pred_<task>_score``: the probability of each predicted label, joined by ``|``;
- ``score_<task>_<label>``: every label's probability (with ``all_scores``);
- ``pred_countries``: ISO codes of the countries the text names, joined by ``|``;
- ``newsclf_status``: ``ok``, ``empty_text``, ``unsupported_script``, ``truncated`` (see
  :mod:`newsclf.document`), or what was wrong with the row
  (``ragged``: a CSV row with the wrong number of fields — short rows are padded, extra fields kept
  in the last column; ``bad_json``: a JSONL line that is not an object, kept under ``_raw``).

Nothing is dropped or reordered. Chunks are scored in worker processes (``n_jobs``) that each load
the model once, and written back in input order, so memory stays flat whatever the file size.

Output to a file goes to ``<output>.partial`` first, renamed into place at the end. After each chunk
the partial file is flushed and ``<output>.state.json`` records how many rows and bytes are done; a
run restarted with ``resume=True`` truncates the partial file to that point, skips the rows already
done and continues, so the final file is byte-identical to an uninterrupted run's.
:func:`score_records` and :func:`score_dataframe` do the same for rows held in memory.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import re
import sys
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .corpus import Table
from .document import _check_max_chars
from .errors import CorpusError

__all__ = ["ScoreSummary", "score_dataframe", "score_file", "score_records"]

log = logging.getLogger(__name__)

DEFAULT_CHUNK_ROWS = 2000
# Characters written as JSON escapes rather than raw: a lone surrogate (from a JSON escape in the
# input) cannot be written as UTF-8, and U+0085, U+2028 and U+2029 are line breaks to many readers.
_ESCAPE = re.compile("[\ud800-\udfff\x85\u2028\u2029]")
_WORKER_MODELS: dict = {}


@dataclass
class ScoreSummary:
    """What a scoring run did: rows per status, and where the output went."""

    rows: int = 0
    statuses: Counter = field(default_factory=Counter)
    output: str = ""
    resumed_from: int = 0

    def __str__(self) -> str:
        parts = ", ".join(f"{status} {n}" for status, n in self.statuses.most_common())
        resumed = f" (resumed after row {self.resumed_from})" if self.resumed_from else ""
        return f"scored {self.rows} rows{resumed} -> {self.output}: {parts or 'nothing'}"


def _load_model(model_path):
    from .model import load

    key = str(model_path)
    if key not in _WORKER_MODELS:
        _WORKER_MODELS[key] = load(model_path)
    return _WORKER_MODELS[key]


def _prediction_columns(model, all_scores: bool) -> list[str]:
    columns = []
    for task in model.tasks:
        columns += [f"pred_{task.name}", f"pred_{task.name}_score"]
        if all_scores:
            columns += [f"score_{task.name}_{label}" for label in task.labels]
    return columns + ["pred_countries", "newsclf_status"]


def _predict_chunk(source, docs: list[tuple[str, str, str]], all_scores: bool, max_chars: int | None, thresholds=None):
    """Prediction cells (strings, in :func:`_prediction_columns` order) for ``(title, body, status)`` triples.

    ``source`` is a Model, a model directory, or ``None`` for the bundled model (loaded once per process).
    ``thresholds`` (``{label: probability}``) overrides learned multi-label thresholds.
    """
    from .model import Model

    model = source if isinstance(source, Model) else _load_model(source)
    preds = model.predict([(title, body) for title, body, _ in docs], max_chars=max_chars, thresholds=thresholds)
    out = []
    for (_, _, status), pred in zip(docs, preds):
        cells = []
        for task in model.tasks:
            labels, scores = pred.labels[task.name], pred.scores[task.name]
            cells += ["|".join(labels), "|".join(f"{scores[label]:.4f}" for label in labels)]
            if all_scores:
                cells += [f"{scores[label]:.4f}" for label in task.labels]
        cells.append("|".join(pred.countries))
        cells.append(status if status != "ok" else pred.status)
        out.append(cells)
    return out


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN
        return ""
    return value if isinstance(value, str) else str(value)


class _Columns:
    """Where the text is in each input row."""

    def __init__(self, title: str, body: str | None, text: str | None):
        self.title, self.body = (text, None) if text else (title, body)

    def check(self, header: list[str], path: str) -> None:
        needed = [c for c in (self.title, self.body) if c]
        if not any(c in header for c in needed) or (self.title not in header and not self.body):
            raise CorpusError(
                f"no text column: looked for {', '.join(map(repr, needed))}; the columns are: {', '.join(header)} "
                "(use --title-column/--body-column or --text-column)",
                path,
            )

    def from_mapping(self, row: dict) -> tuple[str, str]:
        return _text(row.get(self.title)), _text(row.get(self.body)) if self.body else ""


def _rows(table: Table, columns: _Columns):
    """Yield ``(input cells or dict, title, body, status)`` for every record of ``table``."""
    if table.header is not None:
        header = table.header
        columns.check(header, table.path)
        ti = header.index(columns.title) if columns.title in header else None
        bi = header.index(columns.body) if columns.body in header else None
        width = len(header)
        for _, record, _ in table:
            status = "ok"
            if len(record) != width:
                status = "ragged"
                record = record + [""] * (width - len(record)) if len(record) < width else (
                    record[: width - 1] + [table.delimiter.join(record[width - 1 :])]
                )
            title = record[ti] if ti is not None else ""
            body = record[bi] if bi is not None else ""
            yield record, title, body, status
    else:
        for _, record, raw in table:
            if isinstance(record, CorpusError):
                yield {"_raw": raw.rstrip("\r\n")}, "", "", "bad_json"
                continue
            title, body = columns.from_mapping(record)
            yield record, title, body, "ok"


def _chunks(iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Writer:
    """Formats output rows as CSV/TSV or JSONL text."""

    def __init__(self, fmt: str, delimiter: str, header: list[str] | None, pred_columns: list[str], raw_header: list[str] | None = None):
        self.fmt, self.delimiter, self.pred_columns = fmt, delimiter, pred_columns
        self.header, self.raw_header = header, raw_header or header  # the output repeats the header as written
        if header is not None:
            clash = sorted(set(header) & set(pred_columns))
            if clash:
                raise CorpusError(f"the input already has column(s) {', '.join(clash)}; rename them before scoring")

    def _csv(self, rows) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=self.delimiter, lineterminator="\n")
        quote_all = None
        for row in rows:
            # The csv module quotes a cell holding the line terminator ("\n") but not a bare "\r",
            # which readers take for a line end: a row with one is written with every cell quoted.
            if any("\r" in cell for cell in row):
                quote_all = quote_all or csv.writer(buffer, delimiter=self.delimiter, lineterminator="\n", quoting=csv.QUOTE_ALL)
                quote_all.writerow(row)
            else:
                writer.writerow(row)
        return buffer.getvalue()

    def head(self) -> str:
        if self.fmt == "jsonl":
            return ""
        row = [*(self.raw_header or []), *self.pred_columns]
        if row[0].startswith("\ufeff"):  # unquoted at the start of the file, it would read as a byte-order mark
            buffer = io.StringIO()
            csv.writer(buffer, delimiter=self.delimiter, lineterminator="\n", quoting=csv.QUOTE_ALL).writerow(row)
            return buffer.getvalue()
        return self._csv([row])

    def body(self, inputs: list, preds: list[list[str]]) -> str:
        if self.fmt == "jsonl":
            lines = []
            for record, cells in zip(inputs, preds):
                if not isinstance(record, dict):
                    record = dict(zip(self.header, record))
                line = json.dumps({**record, **dict(zip(self.pred_columns, cells))}, ensure_ascii=False)
                if _ESCAPE.search(line):
                    line = json.dumps({**record, **dict(zip(self.pred_columns, cells))})
                lines.append(line + "\n")
            return "".join(lines)
        return self._csv([[*record, *cells] for record, cells in zip(inputs, preds)])


def _state_path(output: str) -> str:
    return output + ".state.json"


def _fingerprint(path: str, options: dict) -> str:
    stat = os.stat(path)
    text = json.dumps({"input": os.path.abspath(path), "size": stat.st_size, "mtime": stat.st_mtime_ns, **options}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def score_file(
    input_path: str,
    output_path: str,
    model=None,
    *,
    fmt: str | None = None,
    out_fmt: str | None = None,
    delimiter: str | None = None,
    title_column: str = "title",
    body_column: str | None = "body",
    text_column: str | None = None,
    encoding: str = "utf-8-sig",
    all_scores: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    n_jobs: int | None = None,
    max_chars: int | None = None,
    resume: bool = False,
    progress: bool = False,
    thresholds: dict | None = None,
) -> ScoreSummary:
    """Score ``input_path`` into ``output_path`` (``"-"`` for stdin/stdout); see the module docstring.

    ``model`` is a :class:`~newsclf.model.Model`, a model directory, or ``None`` for the bundled
    model. ``n_jobs`` worker processes score chunks (``None`` or 1: in this process; -1: all cores).
    ``thresholds`` (``{label: probability}``) overrides learned multi-label thresholds.
    """
    from .model import Model, load

    if not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise ValueError(f"chunk_rows must be a positive integer (got {chunk_rows!r})")
    if resume and "-" in (input_path, output_path):
        raise ValueError("resume needs an input file and an output file, not stdin or stdout")
    _check_max_chars(max_chars)  # before anything is written
    loaded = model if isinstance(model, Model) else load(model)
    thresholds = loaded._check_thresholds(thresholds)  # a bad label or value fails before any row is read
    # What workers get: a directory (or None for the bundled model) loads once per worker.
    source = loaded if isinstance(model, Model) else (None if model is None else os.fspath(model))
    pred_columns = _prediction_columns(loaded, all_scores)
    table = Table(input_path, fmt, delimiter, encoding)
    with table:
        out_fmt = out_fmt or table.fmt
        if out_fmt not in ("csv", "tsv", "jsonl"):
            raise ValueError(f"out_fmt must be 'csv', 'tsv' or 'jsonl' (got {out_fmt!r})")
        if table.header is None and out_fmt != "jsonl":
            raise CorpusError("JSONL input can only be written as JSONL (use --format jsonl)", input_path)
        out_delimiter = "\t" if out_fmt == "tsv" else (table.delimiter if table.fmt == "csv" else ",")
        writer = _Writer(out_fmt, out_delimiter, table.header, pred_columns, table.raw_header)
        columns = _Columns(title_column, body_column, text_column)
        summary = ScoreSummary(output=output_path)
        options = {"all_scores": all_scores, "chunk_rows": chunk_rows, "fmt": out_fmt, "max_chars": max_chars,
                   "columns": [title_column, body_column, text_column], "model": loaded.card.get("corpus", {}).get("sha256"), "thresholds": thresholds}  # fmt: skip
        to_stdout = output_path == "-"
        partial = output_path + ".partial"
        skip = 0
        if to_stdout:
            out = sys.stdout
        else:
            key = _fingerprint(input_path, options) if input_path != "-" else None
            state = _read_state(output_path) if resume else None
            if resume and state and state.get("key") == key and os.path.exists(partial):
                out = open(partial, "r+", encoding="utf-8", newline="")
                out.truncate(state["bytes"])
                out.seek(state["bytes"])
                skip = summary.resumed_from = state["rows"]
                summary.statuses.update(state["statuses"])
                summary.rows = skip
            else:
                if resume:
                    log.warning("nothing to resume for %s; starting from the first row", output_path)
                out = open(partial, "w", encoding="utf-8", newline="")
        try:
            if skip == 0:
                out.write(writer.head())
            bar = _progress_bar(table, progress)
            rows = _rows(table, columns)
            for _ in range(skip):
                next(rows, None)
            chunks = _chunks(rows, chunk_rows)
            if n_jobs in (None, 1):
                results = ((chunk, _predict_chunk(loaded, [c[1:] for c in chunk], all_scores, max_chars, thresholds)) for chunk in chunks)
            else:
                results = _parallel(chunks, source, all_scores, max_chars, n_jobs, thresholds)
            for chunk, preds in results:
                out.write(writer.body([c[0] for c in chunk], preds))
                summary.rows += len(chunk)
                summary.statuses.update(cells[-1] for cells in preds)
                if not to_stdout:
                    out.flush()
                    os.fsync(out.fileno())
                    _write_state(output_path, {"key": key, "rows": summary.rows, "bytes": out.tell(), "statuses": dict(summary.statuses)})
                if bar is not None:
                    bar.update(table.tell() - bar.n)
                    bar.set_postfix_str(f"{summary.rows} rows")
            if bar is not None:
                bar.close()
        finally:
            if not to_stdout:
                out.close()
        if not to_stdout:
            os.replace(partial, output_path)
            if os.path.exists(_state_path(output_path)):
                os.remove(_state_path(output_path))
        else:
            out.flush()
    return summary


def _parallel(chunks, source, all_scores: bool, max_chars, n_jobs: int, thresholds=None):
    """Score chunks in worker processes, yielding ``(chunk, predictions)`` in input order."""
    from joblib import Parallel, delayed

    sent: deque = deque()

    def jobs():
        for chunk in chunks:
            sent.append(chunk)
            yield delayed(_predict_chunk)(source, [c[1:] for c in chunk], all_scores, max_chars, thresholds)

    for preds in Parallel(n_jobs=n_jobs, return_as="generator", pre_dispatch="2*n_jobs")(jobs()):
        yield sent.popleft(), preds


def _progress_bar(table: Table, wanted: bool):
    if not wanted:
        return None
    from tqdm import tqdm

    return tqdm(total=table.size(), unit="B", unit_scale=True, desc="scoring", file=sys.stderr, dynamic_ncols=True)


def _read_state(output: str) -> dict | None:
    try:
        with open(_state_path(output), encoding="utf-8") as f:
            state = json.load(f)
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and {"key", "rows", "bytes", "statuses"} <= set(state) else None


def _write_state(output: str, state: dict) -> None:
    tmp = _state_path(output) + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(state, f)
    os.replace(tmp, _state_path(output))


def score_records(records: Iterable, model=None, *, all_scores: bool = False, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                  title_column: str = "title", body_column: str | None = "body", text_column: str | None = None,
                  max_chars: int | None = None) -> Iterator[dict]:  # fmt: skip
    """Yield each input mapping extended with the prediction columns, in order, one per input.

    ``max_chars`` is as in :func:`score_file` (default: the model's ``max_chars``).
    """
    from .model import Model

    loaded = model if isinstance(model, Model) else _load_model(None if model is None else os.fspath(model))
    columns = _Columns(title_column, body_column, text_column)
    pred_columns = _prediction_columns(loaded, all_scores)
    for chunk in _chunks(records, chunk_rows):
        docs = []
        for row in chunk:
            if not isinstance(row, dict):
                raise TypeError(f"each record must be a dict (got {type(row).__name__})")
            docs.append((*columns.from_mapping(row), "ok"))
        for row, cells in zip(chunk, _predict_chunk(loaded, docs, all_scores, max_chars)):
            yield {**row, **dict(zip(pred_columns, cells))}


def score_dataframe(frame, model=None, *, all_scores: bool = False, **kwargs):
    """A copy of a pandas DataFrame with the prediction columns added (same index and order).

    ``model`` is a Model, a model directory or ``None`` (the bundled model); a directory is loaded
    once per process, so this is also the function Dask runs on each partition.
    """
    import pandas as pd

    from .model import Model

    loaded = model if isinstance(model, Model) else _load_model(None if model is None else os.fspath(model))
    columns = _prediction_columns(loaded, all_scores)
    clash = sorted(set(frame.columns) & set(columns))
    if clash:
        raise CorpusError(f"the input already has column(s) {', '.join(clash)}; rename them before scoring")
    rows = list(score_records(frame.to_dict("records"), loaded, all_scores=all_scores, **kwargs))
    predictions = pd.DataFrame([[r[c] for c in columns] for r in rows], columns=columns, index=frame.index, dtype=object)
    return pd.concat([frame, predictions], axis=1)
