"""Property tests (hypothesis) over arbitrary Unicode and arbitrary CSV/JSONL files.

- ``normalize`` is idempotent, also on runs of stacked combining marks;
- ``tokenize`` never raises and yields non-empty tokens of bounded length;
- ``Model.predict`` gives labels of the schema and probabilities in [0, 1] for any string;
- scoring any CSV that Python's csv module can write, and read back, (cells with line breaks,
  quotes, delimiters, or empty) gives one output row per input row with every input cell
  unchanged; the same for JSONL.

Python strings cannot be written as UTF-8 with lone surrogates, so ``st.text()`` (which leaves
them out) is the alphabet of file contents; the text functions also get surrogates.
"""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from newsclf.scoring import score_file
from newsclf.text import MAX_COMBINING_RUN, MAX_TOKEN_CHARS, detect_language, normalize, tokenize

SETTINGS = settings(max_examples=80, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
FILE_SETTINGS = settings(max_examples=40, deadline=5000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

ANY_TEXT = st.text(st.characters(exclude_categories=()))  # lone surrogates included
MARKS = st.sampled_from(["\u0301", "\u0308", "\u0327", "\u0f73", "\u0344", "\u0345", "\U0001d165", "\u093c", "\u094d", "e", "Σ", "ß", " "])
MARKED_TEXT = st.lists(MARKS, max_size=4 * MAX_COMBINING_RUN).map("".join)


@SETTINGS
@given(st.one_of(st.text(), ANY_TEXT, MARKED_TEXT))
def test_normalize_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


@SETTINGS
@given(st.one_of(st.text(), ANY_TEXT, MARKED_TEXT))
def test_tokenize_never_raises(text):
    normalized = normalize(text)
    tokens = tokenize(normalized)
    assert all(isinstance(t, str) and 0 < len(t) <= MAX_TOKEN_CHARS for t in tokens)
    assert detect_language(normalized, tokens) in ("en", "es", "pt", "fr")


@SETTINGS
@given(st.one_of(st.text(), ANY_TEXT), st.one_of(st.none(), st.text(max_size=200)))
def test_predict_gives_valid_labels_and_probabilities(tiny_model, title, body):
    (pred,) = tiny_model.predict([{"title": title, "body": body}])
    assert pred.status in ("ok", "empty_text", "unsupported_script", "truncated")
    for task in tiny_model.tasks:
        labels = pred.labels[task.name]
        assert labels and set(labels) <= set(task.labels)
        assert len(labels) == 1 or task.is_multi
        assert set(pred.scores[task.name]) == set(task.labels)
        assert all(0.0 <= p <= 1.0 for p in pred.scores[task.name].values())


# -- files ------------------------------------------------------------------------------------

CELL = st.one_of(st.text(max_size=30), st.sampled_from(["", '"', '""', ",", "\n", "\r", "\r\n", " ", "a,b", 'say "hi"', "\x00"]))
# Column names: any text without the characters the delimiter is guessed from (a name holding
# more semicolons than the header holds commas would make the guess ";"; see the next test), nor
# NUL (a header with NUL bytes is refused as binary data), nor surrogates (not writable as UTF-8).
NAME = st.text(st.characters(exclude_categories=("Cs",), exclude_characters=",;\t|\x00"), max_size=12).filter(lambda n: n.strip() and not n.strip().startswith(("pred_", "score_", "newsclf_")))


@st.composite
def csv_table(draw):
    names = draw(st.lists(NAME, min_size=0, max_size=4, unique_by=str.strip).filter(lambda ns: "title" not in [n.strip() for n in ns]))
    header = list(names)
    header.insert(draw(st.integers(0, len(header))), "title")
    rows = draw(st.lists(st.lists(CELL, min_size=len(header), max_size=len(header)), max_size=8))
    dialect = {
        "lineterminator": draw(st.sampled_from(["\r\n", "\n", "\r"])),
        "quoting": draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])),
    }
    return header, rows, dialect


def _write_csv(path: Path, header, rows, **dialect) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, **dialect).writerows([header, *rows])


def _read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@FILE_SETTINGS
@given(csv_table())
def test_scoring_any_csv_keeps_every_row_and_cell(tiny_model, table):
    header, rows, dialect = table
    with tempfile.TemporaryDirectory(prefix="newsclf-prop-") as tmp:
        src, out = Path(tmp) / "in.csv", Path(tmp) / "out.csv"
        _write_csv(src, header, rows, **dialect)
        # With a one-character line terminator the csv module leaves the other line-end character
        # unquoted, so some files it writes it cannot read back itself: no reader could keep those.
        assume(_read_csv(src) == [header, *rows])
        summary = score_file(str(src), str(out), tiny_model, chunk_rows=3)
        written = _read_csv(out)
    width = len(header)
    assert written[0][:width] == header
    assert summary.rows == len(rows) and len(written) == len(rows) + 1
    assert [r[:width] for r in written[1:]] == rows
    assert all(r[-1] in ("ok", "empty_text", "unsupported_script", "truncated") for r in written[1:])


@FILE_SETTINGS
@given(
    st.lists(st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=10), min_size=1, max_size=3),
    st.lists(st.lists(CELL, min_size=2, max_size=2), max_size=5),
)
def test_any_column_names_with_an_explicit_delimiter(tiny_model, names, rows):
    """Any header the csv module writes is read back (a NUL in the header is refused as binary data)."""
    header = [*names, "title", "body"]
    if len({n.strip() for n in header}) != len(header) or any(n.strip().startswith(("pred_", "score_", "newsclf_")) for n in names):
        return  # duplicated or reserved names are refused, as tests/test_bad_inputs.py checks
    rows = [[*("x" for _ in names), *cells] for cells in rows]
    with tempfile.TemporaryDirectory(prefix="newsclf-prop-") as tmp:
        src, out = Path(tmp) / "in.csv", Path(tmp) / "out.csv"
        _write_csv(src, header, rows)
        score_file(str(src), str(out), tiny_model, delimiter=",")
        written = _read_csv(out)
    assert written[0][: len(header)] == header  # the header is written back as it was, spaces and all
    assert [r[: len(header)] for r in written[1:]] == rows


@FILE_SETTINGS
@given(st.lists(st.lists(CELL, min_size=1, max_size=6), max_size=6))
def test_ragged_rows_keep_their_place_and_cells(tiny_model, rows):
    header = ["title", "body", "note"]
    with tempfile.TemporaryDirectory(prefix="newsclf-prop-") as tmp:
        src, out = Path(tmp) / "in.csv", Path(tmp) / "out.csv"
        _write_csv(src, header, rows)
        score_file(str(src), str(out), tiny_model, delimiter=",")
        written = _read_csv(out)[1:]
    assert len(written) == len(rows)
    for row, got in zip(rows, written):
        if len(row) == 3:
            assert got[:3] == row and got[-1] != "ragged"
        else:
            assert got[-1] == "ragged"
            assert got[: min(len(row), 2)] == row[:2]  # the leading cells are the input's
            if len(row) < 3:
                assert got[len(row) : 3] == [""] * (3 - len(row))  # a short row is padded


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)


@FILE_SETTINGS
@given(st.lists(st.dictionaries(st.text(max_size=8).filter(lambda k: not k.startswith(("pred_", "newsclf_"))), JSON_VALUE, max_size=4), max_size=6))
def test_scoring_any_jsonl_keeps_every_record(tiny_model, records):
    with tempfile.TemporaryDirectory(prefix="newsclf-prop-") as tmp:
        src, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        src.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        summary = score_file(str(src), str(out), tiny_model, chunk_rows=2)
        text = out.read_text(encoding="utf-8")
    assert text.count("\n") == len(records) and "\u2028" not in text and "\x85" not in text  # no line break but "\n"
    written = [json.loads(line) for line in text.split("\n")[:-1]]
    assert summary.rows == len(records) == len(written)
    for record, got in zip(records, written):
        assert {k: got[k] for k in record} == record
