#!/usr/bin/env python3
"""Fuzz the corpus reader, file scoring and the text pipeline for a bounded time (not part of CI).

Targets (``--target``, default all, run in turn):

- ``corpus``: bytes given to :func:`newsclf.corpus.read_rows` and :func:`~newsclf.corpus.read_corpus`
  as CSV, TSV or JSONL, plain or gzipped. The bytes are random, or a table of arbitrary cells written
  by Python's csv/json modules and then damaged (bytes flipped, inserted or cut, NUL bytes, stray
  quotes, invalid UTF-8, CR line ends, a truncated gzip stream).
- ``score``: the same files given to :func:`newsclf.scoring.score_file` with the bundled model; when
  it succeeds, the output must hold one record per input record (as :func:`read_rows` counts them).
- ``text``: arbitrary strings (every code point, lone surrogates too, and pathological shapes:
  long tokens, runs of punctuation, stacked combining marks, mixed scripts) through ``normalize``
  (which must be idempotent), ``tokenize``, ``detect_language``, ``analyze``, the featuriser and
  ``Model.predict`` (labels in the schema, probabilities in [0, 1]). An input whose analysis takes
  more than ``--slow`` seconds of CPU time is reported as slow.

Any exception that is not a :class:`~newsclf.errors.NewsclfError` (nor, for the text target, the
documented ``TypeError``/``ValueError`` of misuse, which a ``str`` input never triggers) is a crash.
The failing input is shrunk by hypothesis and saved under ``--out`` with the traceback and a
command that reproduces it; each distinct crash (exception type and place) is saved once.

Why hypothesis and not atheris: atheris 3.0 installs with pip for Python 3.11, but its coverage
guidance sees Python bytecode only, and the parsing that matters here is in C (``_csv``, ``json``,
``zlib``, ``unicodedata``, ``re``); hypothesis is already a test dependency, generates *structured*
inputs (valid CSV and JSONL that is then damaged, which reaches far deeper than random bytes) and
shrinks each failure to a minimal reproducer.

    python scripts/fuzz_inputs.py --minutes 10 --out /tmp/fuzz
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import newsclf
from newsclf import text
from newsclf.corpus import read_corpus, read_rows
from newsclf.errors import NewsclfError
from newsclf.schema import parse_tasks
from newsclf.scoring import score_file

TASKS = parse_tasks(None)
ROUND_EXAMPLES = 200

# -- strategies --------------------------------------------------------------------------------

_ANY_CHAR = st.characters(exclude_categories=())  # every code point, lone surrogates included
_TRICKY = st.sampled_from(
    [",", ";", "\t", "|", '"', "'", "\n", "\r", "\r\n", "\x00", "\ufeff", "\u200b", "\u202e", "\u0301",
     "é", "ñ", "ção", "EE.UU.", "l'", "-", ".", "%", "😀", "مرحبا", "Россия", "中国", " ", "\\", "{", "}", "[", "]"]
)  # fmt: skip
# A cell read from a file cannot hold a lone surrogate (UTF-8 has none); a Python string can.
CELL = st.lists(st.one_of(st.characters(), _TRICKY), max_size=40).map("".join)
JSON_CELL = st.one_of(CELL, st.lists(_ANY_CHAR, max_size=10).map("".join), st.integers(), st.floats(), st.none(), st.booleans())
TEXT = st.lists(st.one_of(_ANY_CHAR, _TRICKY), max_size=300).map("".join)


@st.composite
def pathological_text(draw) -> str:
    """Shapes that break naive tokenisers: one huge token, long punctuation runs, stacked marks."""
    unit = draw(st.sampled_from(["a", "é", "a\u0301", "\u0301", "\u0301\u0327", "\u0f73", "\U0001d165\u0301", ".", "a.", "'",
                                 "-", "a-", "l'", "!?", "1,", "ﬁ", "ß", "İ", "\u200b", " ", "ﷺ", "中"]))  # fmt: skip
    n = draw(st.integers(1, 20_000))
    return draw(st.sampled_from(["", "x ", "Lavrov "])) + unit * n


@st.composite
def table_bytes(draw) -> tuple[bytes, str]:
    """A CSV/TSV/JSONL file (bytes, format), possibly damaged and possibly gzipped."""
    fmt = draw(st.sampled_from(["csv", "tsv", "jsonl"]))
    columns = draw(st.lists(st.sampled_from(["title", "body", "topic", "region", "id", "x"]), min_size=1, max_size=5))
    cell = JSON_CELL if fmt == "jsonl" else CELL  # JSON can escape lone surrogates, and hold numbers and NaN
    rows = draw(st.lists(st.lists(cell, min_size=len(columns), max_size=len(columns)), max_size=6))
    if draw(st.booleans()):  # sometimes real labels, so read_corpus gets past validation
        labels = {"topic": "economy|military", "region": "europe"}
        rows = [[labels.get(c, cell) for c, cell in zip(columns, row)] for row in rows]
    if fmt == "jsonl":
        lines = [json.dumps(dict(zip(columns, row)), ensure_ascii=draw(st.booleans())) for row in rows]
        data = "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))
    else:
        buffer = io.StringIO()
        writer = csv.writer(
            buffer, delimiter="\t" if fmt == "tsv" else draw(st.sampled_from([",", ";", "|"])),
            lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])),
            quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])),
        )  # fmt: skip
        writer.writerow(columns)
        writer.writerows(rows)
        data = buffer.getvalue()
    raw = bytearray(data.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-8", "latin-1"])), errors="replace"))
    for _ in range(draw(st.integers(0, 3))):  # damage
        kind = draw(st.sampled_from(["flip", "insert", "cut", "truncate"]))
        at = draw(st.integers(0, max(0, len(raw) - 1)))
        if kind == "flip" and raw:
            raw[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            raw[at:at] = draw(st.sampled_from([b'"', b"\x00", b"\xff", b"\xc3", b"\r", b"\n", b"{", b",", b"\xef\xbb\xbf"]))
        elif kind == "cut":
            del raw[at : at + draw(st.integers(1, 8))]
        else:
            del raw[at:]
    raw = bytes(raw)
    if draw(st.booleans()):
        raw = gzip.compress(raw)
        if draw(st.booleans()):
            raw = raw[: draw(st.integers(0, len(raw)))]
    return raw, fmt


FILES = st.one_of(table_bytes(), st.tuples(st.binary(max_size=400), st.sampled_from(["csv", "tsv", "jsonl"])))

# -- running -----------------------------------------------------------------------------------


class Fuzzer:
    """Runs rounds of hypothesis examples until the deadline; saves one reproducer per distinct crash."""

    def __init__(self, out: Path, deadline: float, slow: float):
        self.out, self.deadline, self.slow = out, deadline, slow
        self.tried: dict[str, int] = {}
        self.known: set[str] = set()
        self.found: list[dict] = []
        self.last: tuple | None = None
        self.work = Path(tempfile.mkdtemp(prefix="work-", dir=out))
        self.model = newsclf.load()

    # Each target returns normally, raises an allowed error, or raises anything else (a crash).
    def corpus(self, data: bytes, fmt: str) -> None:
        path = self.work / f"input.{fmt}"
        path.write_bytes(data)
        try:
            for _ in read_rows(str(path), fmt=fmt):
                pass
        except NewsclfError:
            pass
        try:
            for _ in read_corpus(str(path), TASKS, fmt=fmt):
                pass
        except NewsclfError:
            pass

    def score(self, data: bytes, fmt: str) -> None:
        path, out = self.work / f"input.{fmt}", self.work / f"output.{fmt}"
        path.write_bytes(data)
        try:
            expected = sum(1 for _ in read_rows(str(path), fmt=fmt))
        except NewsclfError:
            expected = None
        try:
            summary = score_file(str(path), str(out), self.model, fmt=fmt, chunk_rows=3)
        except NewsclfError:
            return
        if expected is not None and summary.rows != expected:
            raise AssertionError(f"scored {summary.rows} rows, the reader sees {expected}")
        if summary.rows == 0:
            return  # an empty JSONL output is an empty file, which read_rows refuses
        written = sum(1 for _ in read_rows(str(out), fmt=fmt, encoding="utf-8"))
        if written != summary.rows:
            raise AssertionError(f"wrote {written} rows, scored {summary.rows}")

    def text(self, value: str) -> None:
        start = time.process_time()  # CPU time: other processes on the machine do not make an input "slow"
        once = text.normalize(value)
        if text.normalize(once) != once:
            raise AssertionError("normalize is not idempotent")
        tokens = text.tokenize(once)
        if not all(isinstance(t, str) and t for t in tokens):
            raise AssertionError("tokenize returned an empty or non-string token")
        if text.detect_language(once, tokens) not in text.LANGUAGES:
            raise AssertionError("detect_language returned an unknown language")
        text.analyze(value)
        (pred,) = self.model.predict([value])
        for task in self.model.tasks:
            if not set(pred.labels[task.name]) <= set(task.labels):
                raise AssertionError(f"label outside the schema: {pred.labels[task.name]}")
            if not all(0.0 <= p <= 1.0 for p in pred.scores[task.name].values()):
                raise AssertionError(f"probability outside [0, 1]: {pred.scores[task.name]}")
        took = time.process_time() - start
        if took > self.slow:
            self._save("text", "slow", (value,), f"took {took:.2f} s for {len(value)} characters\n", f"slow:{len(value)}:{took:.1f}")

    # -- machinery -------------------------------------------------------------------------
    def run(self, target: str) -> None:
        method = getattr(self, target)
        strategy = (st.tuples(st.one_of(TEXT, pathological_text())),) if target == "text" else (FILES,)

        @settings(max_examples=ROUND_EXAMPLES, deadline=None, database=None, derandomize=False,
                  phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck), report_multiple_bugs=False)  # fmt: skip
        @given(*strategy)
        def round_(args):
            if time.time() > self.deadline:
                return
            self.tried[target] = self.tried.get(target, 0) + 1
            try:
                method(*args)
            except Exception as exc:
                signature = _signature(exc)
                if signature in self.known:
                    return  # already saved: keep looking for other crashes
                self.last = (args, traceback.format_exc(), signature)
                raise

        try:
            round_()
        except Exception:  # a new crash, shrunk; the last failing call holds the minimal input
            if self.last is not None:
                args, trace, signature = self.last
                self.known.add(signature)
                self._save(target, "crash", args, trace, signature)
                self.last = None

    def _save(self, target: str, kind: str, args: tuple, trace: str, signature: str) -> None:
        name = f"{kind}-{target}-{hashlib.sha256(signature.encode()).hexdigest()[:10]}"
        if target == "text":
            (value,) = args
            data_path = self.out / f"{name}.json"
            data_path.write_text(json.dumps(value) + "\n", encoding="ascii")  # ASCII keeps lone surrogates
            repro = (f"python -c \"import json, newsclf; newsclf.load().predict([json.load(open('{data_path}'))])\""
                     "  # or newsclf.text.normalize / tokenize on the same string")  # fmt: skip
        else:
            data, fmt = args
            data_path = self.out / f"{name}.{fmt}"
            data_path.write_bytes(data)
            call = "read_rows" if target == "corpus" else "score_file"
            repro = (f"python -c \"from newsclf.corpus import read_rows; from newsclf.scoring import score_file; "
                     f"print(list(read_rows('{data_path}', fmt='{fmt}')))\"  # crashed in {call}")  # fmt: skip
        (self.out / f"{name}.txt").write_text(f"{kind} in target {target}\nsignature: {signature}\n\n{trace}\nreproduce:\n{repro}\n", encoding="utf-8")
        self.found.append({"kind": kind, "target": target, "signature": signature, "input": str(data_path)})
        print(f"{kind} in {target}: {signature} -> {data_path}", file=sys.stderr, flush=True)


def _signature(exc: BaseException) -> str:
    """Exception type and the innermost newsclf frame (or the innermost frame) that raised it."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "newsclf" in f.filename and "fuzz_inputs" not in f.filename] or frames
    where = f"{os.path.basename(ours[-1].filename)}:{ours[-1].lineno}" if ours else "?"
    return f"{type(exc).__name__} at {where}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="total time to fuzz (default: 1)")
    parser.add_argument("--out", required=True, help="directory for reproducers of crashes and slow inputs")
    parser.add_argument("--target", choices=["all", "corpus", "score", "text"], default="all")
    parser.add_argument("--slow", type=float, default=2.0, help="seconds above which one text input is reported as slow")
    args = parser.parse_args(argv)
    if args.minutes <= 0:
        parser.error("--minutes must be positive")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("newsclf").setLevel(logging.ERROR)  # skipped-row warnings are expected here
    start = time.time()
    fuzzer = Fuzzer(out, start + args.minutes * 60, args.slow)
    targets = ["corpus", "score", "text"] if args.target == "all" else [args.target]
    while time.time() < fuzzer.deadline:
        for target in targets:
            fuzzer.run(target)
    shutil.rmtree(fuzzer.work, ignore_errors=True)
    summary = {"minutes": round((time.time() - start) / 60, 2), "inputs_tried": fuzzer.tried, "found": fuzzer.found}
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=1))
    return 1 if any(f["kind"] == "crash" for f in fuzzer.found) else 0


if __name__ == "__main__":
    sys.exit(main())
