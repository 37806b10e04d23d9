"""The catalogue of bad inputs (issue 7): what a user gets for each.

Every case ends in one of two answers: a clear error (a :class:`NewsclfError` naming the file and,
where there is one, the line and column; through the command line one ``newsclf: error: ...`` line
and exit code 2, never a traceback), or a valid result whose status says what happened. Nothing is
dropped, shifted or merged on the way. The last sections check that the work stays bounded: the
maximum text length is honoured everywhere, and time grows linearly with the input, pathological
shapes included. Big inputs are generated here, in ``tmp_path``.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import pytest

import newsclf
from newsclf.cli import main
from newsclf.corpus import CorpusReport, read_corpus, read_rows
from newsclf.document import DEFAULT_MAX_CHARS, Document
from newsclf.errors import CorpusError, LabelError, NewsclfError
from newsclf.evaluate import evaluate
from newsclf.schema import parse_tasks
from newsclf.scoring import score_file, score_records
from newsclf.text import MAX_TOKEN_CHARS, analyze, normalize, tokenize

TASKS = parse_tasks(None)
HEADER = "title,body,topic,region\n"
ROW = "Oil prices rise,OPEC cuts output,economy,global\n"


def _write(path: Path, data: str | bytes) -> str:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return str(path)


def _cli_error(argv, capsys) -> str:
    """Run the CLI, expecting exit code 2 and one error line on stderr; return that line."""
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("newsclf: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def _read_csv(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def model_dir(tiny_model, tmp_path_factory):
    return tiny_model.save(tmp_path_factory.mktemp("bad_inputs") / "model")


# -- files that cannot be read: a clear error with file, line and column ----------------------

UNREADABLE = [
    # (name, bytes, message pattern; the location is checked separately)
    ("empty.csv", b"", r"empty.csv: the file is empty \(no header row\)"),
    ("blank.csv", b"\n  \n\r\n", r"blank.csv: the file holds only blank lines \(no header row\)"),
    ("empty.jsonl", b"", r"empty.jsonl: the file is empty"),
    ("empty.csv.gz", gzip.compress(b""), r"the file is empty"),
    ("dupes.csv", b"title,body,title\nx,y,z\n", r"dupes.csv:1: duplicated column name\(s\) in the header: 'title'"),
    ("nul.csv", b"ti\x00tle,body\nx,y\n", r"nul.csv:1: the header holds NUL bytes"),
    ("quote.csv", b'title,body\nok,fine\nx,"an unclosed quote\nnext,row\nlast,row\n', r"quote.csv:3:3: a quoted field opened here is never closed, so the rest of the file \(3 line\(s\)\)"),
    ("quote_header.csv", b'title,"body\nx,y\n', r"quote_header.csv:1:7: the header has a quote that is never closed"),
    ("latin1.csv", "title,body\nok,fine\nCañón,x\n".encode("latin-1"), r"latin1.csv:3:3: cannot decode byte\(s\) f1 as utf-8: invalid continuation byte \(try --encoding latin-1\)"),
    ("utf16.csv", "title,body\nx,y\n".encode("utf-16"), r"utf16.csv:1:1: .*starts with a UTF-16 byte-order mark: try --encoding utf-16"),
    # The two gzip cases were found by scripts/fuzz_inputs.py (an EOFError escaped the reader).
    ("cut.csv.gz", gzip.compress(HEADER.encode() + ROW.encode() * 50)[:-20], r"cut.csv.gz:\d+: the gzip data is damaged or cut short"),
    ("garbage.jsonl.gz", b"\x1f\x8b\x08\x00 not gzip at all", r"the gzip data is damaged or cut short"),
    ("list.jsonl", b'{"title": "a"}\n[1, 2]\n', r"list.jsonl:2: each line must be a JSON object \(got list\)"),
    ("broken.jsonl", b'{"title": "a"}\n{"title": }\n', r"broken.jsonl:2: not valid JSON: Expecting value at column 11"),
    ("deep.jsonl", b'{"title": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n", r"deep.jsonl:1: not valid JSON: nested too deeply"),
    ("bigint.jsonl", b'{"title": ' + b"7" * 5000 + b"}\n", r"bigint.jsonl:1: not valid JSON: Exceeds the limit"),
]


@pytest.mark.parametrize(("name", "data", "message"), UNREADABLE, ids=[u[0] for u in UNREADABLE])
def test_unreadable_file_is_a_located_error(tmp_path, name, data, message):
    path = _write(tmp_path / name, data)
    with pytest.raises(CorpusError, match=message) as info:
        list(read_rows(path))
    assert info.value.path == path
    with pytest.raises(CorpusError, match=message):  # the same for training (no label columns needed here)
        list(read_corpus(path, ()))


def test_error_locations_are_attributes(tmp_path):
    path = _write(tmp_path / "c.csv", b'title,body\r\nok,fine\r\nx,"open\r\nmore\r\n')
    with pytest.raises(CorpusError) as info:
        list(read_rows(path))
    assert (info.value.line, info.value.column) == (3, 3)
    assert str(info.value).startswith(f"{path}:3:3: ")


def test_an_unclosed_quote_fails_the_scoring_run_before_any_output(model_dir, tmp_path):
    src = _write(tmp_path / "in.csv", 'title,body\nok,fine\nx,"open quote\n' + "later,row\n" * 100)
    out = tmp_path / "out.csv"
    with pytest.raises(CorpusError, match=r"in.csv:3:3: a quoted field"):
        score_file(src, str(out), model_dir, chunk_rows=10_000)
    assert not out.exists()


def test_quotes_inside_fields_are_not_unclosed(tmp_path):
    # Stray quotes in unquoted fields and doubled quotes are read leniently, as the csv module does.
    path = _write(tmp_path / "c.csv", 'title,body\nab"c,d\n"x""y",z\n"multi\nline",w\n')
    assert [r for _, r in read_rows(path)] == [
        {"title": 'ab"c', "body": "d"}, {"title": 'x"y', "body": "z"}, {"title": "multi\nline", "body": "w"},
    ]  # fmt: skip


def test_encoding_option_reads_latin1(tmp_path):
    path = _write(tmp_path / "c.csv", "title,topic,region\nCañón en Perú,other,latin_america\n".encode("latin-1"))
    rows = list(read_corpus(path, TASKS, encoding="latin-1"))
    assert rows[0]["title"] == "Cañón en Perú"
    with pytest.raises(ValueError, match="encoding must be a text encoding Python knows"):
        list(read_rows(path, encoding="no-such-codec"))


# -- files that can be read: every row kept, in place, with a status --------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("bom.csv", b"\xef\xbb\xbftitle,body\nA,B\n"),
        ("crlf.csv", b"title,body\r\nA,B\r\n"),
        ("cr.csv", b"title,body\rA,B\r"),
        ("no_final_newline.csv", b"title,body\nA,B"),
        ("blank_lines_first.csv", b"\n\ntitle,body\nA,B\n"),
        ("bom.jsonl", b'\xef\xbb\xbf{"title": "A", "body": "B"}\n'),
        ("crlf.jsonl", b'{"title": "A", "body": "B"}\r\n'),
    ],
)
@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8"])
def test_bom_and_line_ends_read_the_same(tmp_path, name, data, encoding):
    path = _write(tmp_path / name, data)
    assert [row for _, row in read_rows(path, encoding=encoding)] == [{"title": "A", "body": "B"}]


def test_line_numbers_count_cr_and_crlf_line_ends(tmp_path):
    for end in ("\n", "\r\n", "\r"):
        text = end.join(["title,topic,region", "a,other,europe", '"two', 'lines",other,europe', "c,sport,europe", ""])
        path = _write(tmp_path / "c.csv", text)
        report = CorpusReport()
        assert [r["title"] for r in read_corpus(path, TASKS, report=report)] == ["a", f"two{end}lines"]
        assert report.examples == [f"{path}:5: bad label: task 'topic': unknown label 'sport' (known: diplomacy, economy, military, other)"]


def test_header_only_gives_no_rows_and_training_says_so(model_dir, tmp_path):
    path = _write(tmp_path / "c.csv", HEADER)
    assert list(read_rows(path)) == []
    with pytest.raises(CorpusError, match=r"no usable rows in the corpus \(0 read"):
        newsclf.train(path)
    summary = score_file(path, str(tmp_path / "out.csv"), model_dir)
    assert summary.rows == 0 and _read_csv(tmp_path / "out.csv")[0][:4] == ["title", "body", "topic", "region"]


def test_missing_columns_name_the_columns_found(model_dir, tmp_path, capsys):
    path = _write(tmp_path / "c.csv", "headline,topic\nx,other\n")
    with pytest.raises(CorpusError, match="missing column\\(s\\) 'title', 'region'; the columns are: headline, topic"):
        list(read_corpus(path, TASKS))
    err = _cli_error(["score", path, "-o", str(tmp_path / "o.csv"), "-m", str(model_dir), "-q"], capsys)
    assert "no text column: looked for 'title', 'body'; the columns are: headline, topic" in err


def test_ragged_rows_are_skipped_in_training_and_kept_in_scoring(model_dir, tmp_path):
    path = _write(tmp_path / "c.csv", "title,topic,region\na,other,europe\nshort\nb,other,europe,extra\nc,economy,asia\n")
    report = CorpusReport()
    assert [r["title"] for r in read_corpus(path, TASKS, report=report)] == ["a", "c"]
    assert report.skipped == {"ragged row": 2} and f"{path}:3: ragged row: expected 3 fields, found 1" in report.examples
    score_file(path, str(tmp_path / "out.csv"), model_dir)
    out = _read_csv(tmp_path / "out.csv")
    assert [r[0] for r in out[1:]] == ["a", "short", "b", "c"]
    assert [r[-1] for r in out[1:]] == ["ok", "ragged", "ragged", "ok"]
    assert out[3][:3] == ["b", "other", "europe,extra"]  # extra fields kept in the last column


def test_nul_bytes_in_cells_are_kept(model_dir, tmp_path):
    path = _write(tmp_path / "c.csv", b"id,title,body\n1,Oil\x00 rises,x\x00y\n2,\x00,\n")
    assert [row for _, row in read_rows(path)][0] == {"id": "1", "title": "Oil\x00 rises", "body": "x\x00y"}
    score_file(path, str(tmp_path / "out.csv"), model_dir)
    out = _read_csv(tmp_path / "out.csv")
    assert [r[:3] for r in out[1:]] == [["1", "Oil\x00 rises", "x\x00y"], ["2", "\x00", ""]]
    assert [r[-1] for r in out[1:]] == ["ok", "empty_text"]


def test_a_cell_with_a_bare_carriage_return_stays_one_row(model_dir, tmp_path):
    # Found by scripts/fuzz_inputs.py: the csv module does not quote a lone "\r" when the line
    # terminator is "\n", so the output row was read back as two rows.
    rows = [["1", "a\rb", "c"], ["2", "\r", "\r\n"], ["3", "plain", "row"]]
    src = tmp_path / "in.csv"
    with open(src, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["id", "title", "body"], *rows])
    score_file(str(src), str(tmp_path / "out.csv"), model_dir)
    out = _read_csv(tmp_path / "out.csv")
    assert [r[:3] for r in out[1:]] == rows
    assert "\n3,plain,row," in (tmp_path / "out.csv").read_text(encoding="utf-8")  # other rows are not quoted


def test_a_header_name_starting_with_a_bom_character_survives_the_round_trip(model_dir, tmp_path):
    # Found by scripts/fuzz_inputs.py: a quoted first column name starting with U+FEFF was written
    # unquoted at the start of the output, where readers take it for a byte-order mark and drop it.
    src = _write(tmp_path / "in.tsv", '"\ufefftitle"\t"title"\nx\ty\n')
    score_file(src, str(tmp_path / "out.tsv"), model_dir)
    (line, row), = read_rows(str(tmp_path / "out.tsv"))
    assert (row["\ufefftitle"], row["title"], row["newsclf_status"]) == ("x", "y", "ok")


def test_jsonl_numbers_nan_and_lone_surrogates(model_dir, tmp_path):
    lines = ['{"id": 1, "title": 12345, "body": null}', '{"id": 2, "title": NaN, "body": "Oil rises"}',
             '{"id": 3, "title": "caf\\ud800 x"}', '{"id": 4, "title": ' + "[" * 5000 + "]" * 5000 + "}"]  # fmt: skip
    src = _write(tmp_path / "in.jsonl", "\n".join(lines) + "\n")
    summary = score_file(src, str(tmp_path / "out.jsonl"), model_dir)
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [o.get("id") for o in out] == [1, 2, 3, None] and summary.rows == 4
    assert out[0]["title"] == 12345 and out[0]["newsclf_status"] == "ok"  # a number is read as its text
    assert math.isnan(out[1]["title"]) and out[1]["newsclf_status"] == "ok"  # NaN is a missing title
    assert out[2]["title"] == "caf\ud800 x"  # written as a JSON escape, read back the same
    assert out[3]["newsclf_status"] == "bad_json" and out[3]["_raw"] == lines[3]
    # Training wants text: a number is a skipped row naming the column, NaN is an empty title.
    train_src = _write(tmp_path / "train.jsonl", '{"title": 3, "topic": "other", "region": "asia"}\n{"title": NaN, "body": "b", "topic": "other", "region": "asia"}\n')
    report = CorpusReport()
    assert [r["body"] for r in read_corpus(train_src, TASKS, report=report)] == ["b"]
    assert report.examples == [f"{train_src}:1: text must be a string: column 'title' holds int 3"]


def test_empty_jsonl_scores_zero_rows(model_dir, tmp_path):
    src = _write(tmp_path / "in.jsonl", "")
    assert score_file(src, str(tmp_path / "out.jsonl"), model_dir).rows == 0
    assert (tmp_path / "out.jsonl").read_text() == ""


def test_a_50_mb_field_is_read_and_scored_truncated(model_dir, tmp_path):
    big = "Petróleo " * (50 * 2**20 // 10)
    src = tmp_path / "in.csv"
    src.write_text(f'id,title,body\n1,Oil prices,"{big}"\n2,Second row,short\n', encoding="utf-8")
    start = time.perf_counter()
    summary = score_file(str(src), str(tmp_path / "out.csv"), model_dir)
    took = time.perf_counter() - start
    assert summary.statuses == {"truncated": 1, "ok": 1}
    out = (tmp_path / "out.csv").read_text(encoding="utf-8").split("\n")  # the big cell needs no quotes
    assert len(out) == 4 and out[1].startswith(f"1,Oil prices,{big},") and out[2].startswith("2,Second row,short,")
    assert out[1].endswith(",truncated") and out[3] == ""
    assert took < 30, f"scoring a 50 MB field took {took:.1f} s"


# -- texts: every one gets a valid prediction and a status ------------------------------------

STATUS_CASES = [
    ("", "empty_text"),
    ("?!… «» ¿¡ ... --- ***", "empty_text"),
    ("😀🔥🇺🇸👍🏽", "empty_text"),
    ("\u200b\u200c\u200d\u2060\ufeff", "empty_text"),
    ("\u200f\u202e\u202b\u200e", "empty_text"),
    ("مجلس الأمن يناقش الأزمة في السودان", "unsupported_script"),
    ("Россия и Китай подписали соглашение", "unsupported_script"),
    ("中国经济增长放缓", "unsupported_script"),
    ("Путин meets Lula in Brasília to discuss trade and BRICS expansion", "ok"),  # mostly Latin
    ("Lavrov reafirma el respaldo de Moscú a Maduro", "ok"),
    ("NaN", "ok"),
    ("12345", "ok"),
]


@pytest.mark.parametrize(("text", "status"), STATUS_CASES)
def test_every_text_gets_a_valid_prediction_and_a_status(tiny_model, text, status):
    (pred,) = tiny_model.predict([text])
    assert pred.status == status
    for task in tiny_model.tasks:
        assert pred.labels[task.name] and set(pred.labels[task.name]) <= set(task.labels)
        assert all(0.0 <= p <= 1.0 for p in pred.scores[task.name].values())


def test_a_million_character_text_is_truncated_quickly(tiny_model):
    text = "Russia and Venezuela sign an oil deal. " * (10**6 // 39 + 1)
    start = time.process_time()
    (pred,) = tiny_model.predict([text])
    assert pred.status == "truncated" and time.process_time() - start < 2.0
    assert tiny_model.predict([text[:DEFAULT_MAX_CHARS]])[0].scores == pred.scores


def test_pandas_style_missing_values(tiny_model):
    preds = tiny_model.predict([{"title": float("nan"), "body": None}, {"title": "Oil rises", "body": float("nan")}])
    assert [p.status for p in preds] == ["empty_text", "ok"]


@pytest.mark.parametrize(
    ("documents", "message"),
    [
        ("a bare string", "not a single str; wrap one document in a list"),
        (b"bytes", "not a single bytes"),
        ({"title": "x"}, "not a single dict"),
        (None, "documents must be a list of texts or records \\(got NoneType\\)"),
        (42, "\\(got int\\)"),
        ([42], "document 0 must be a str, a mapping with 'title'/'body' or a \\(title, body\\) pair \\(got int: 42\\)"),
        ([float("nan")], "document 0 must be a str.*got float: nan"),
        (["ok", b"bytes"], "document 1 must be a str.*got bytes"),
        ([["title", "body"]], "got list"),
        ([("only one",)], "got tuple"),
        ([{"title": 3}], "document 0: title must be str or None \\(got int: 3\\)"),
        ([("t", True)], "document 0: body must be str or None \\(got bool: True\\)"),
        ([{"headline": "x"}], "a mapping needs a 'title' or 'body' key \\(got keys \\['headline'\\]\\)"),
        ([object()], "got object"),
    ],
)
def test_wrong_python_objects_are_type_errors(tiny_model, documents, message):
    with pytest.raises(TypeError, match=message):
        tiny_model.predict(documents)


@pytest.mark.parametrize("max_chars", [0, -1, 2.5, "100", True])
def test_bad_max_chars_is_a_value_error(tiny_model, tmp_path, max_chars):
    with pytest.raises(ValueError, match="max_chars must be a positive integer or None"):
        tiny_model.predict(["text"], max_chars=max_chars)
    src = _write(tmp_path / "in.csv", "title\nx\n")
    with pytest.raises(ValueError, match="max_chars must be a positive integer or None"):
        score_file(src, str(tmp_path / "out.csv"), tiny_model, max_chars=max_chars)
    assert not (tmp_path / "out.csv.partial").exists()


def test_predict_generator_and_tuple_inputs(tiny_model):
    assert len(tiny_model.predict(t for t in ["a", "b"])) == 2
    assert tiny_model.predict([("Oil rises", None)])[0].status == "ok"


# -- labels and corpora that cannot train a model ---------------------------------------------


def _records(n: int, topic="economy", region=("europe", "asia")) -> list[dict]:
    return [{"title": f"headline number {i} about prices", "body": "", "topic": topic, "region": region[i % len(region)]} for i in range(n)]


def test_labels_not_in_the_schema(tmp_path, tiny_model):
    path = _write(tmp_path / "c.csv", "title,topic,region\na,sport,europe\nb,economy,mars\nc,economy|other,asia\nd,economy,europe\n")
    report = CorpusReport()
    assert [r["title"] for r in read_corpus(path, TASKS, report=report)] == ["d"]
    assert report.skipped == {"bad label": 3}
    assert f"{path}:2: bad label: task 'topic': unknown label 'sport' (known: diplomacy, economy, military, other)" in report.examples
    assert any(e.startswith(f"{path}:3: bad label: task 'region': unknown label 'mars'") for e in report.examples)
    with pytest.raises(CorpusError, match=r"c.csv:2: bad label"):
        list(read_corpus(path, TASKS, strict=True))
    with pytest.raises(LabelError, match="threshold for unknown label 'sport'"):
        tiny_model.predict(["x"], thresholds={"sport": 0.5})


def test_a_corpus_with_a_single_label_cannot_train():
    with pytest.raises(CorpusError, match="task 'region' has only 1 label\\(s\\) in the training corpus \\(asia\\); a classifier needs at least two"):
        newsclf.train(_records(8, region=("asia",)), cv=2, char_ngram_range=None)
    with pytest.raises(CorpusError, match="task 'topic' has only 1 label\\(s\\).*\\(other\\)"):
        newsclf.train(_records(8, topic="other"), cv=2, char_ngram_range=None)


def test_a_corpus_too_small_to_train():
    with pytest.raises(CorpusError, match="too few documents to train: 3 \\(need at least 4\\)"):
        newsclf.train(_records(3), cv=2, char_ngram_range=None)
    model = newsclf.train(_records(4), cv=5, char_ngram_range=None)  # the smallest corpus that trains
    assert model.card["cv_scores"]["folds"] == 2


def test_no_usable_rows():
    with pytest.raises(CorpusError, match="no usable rows in the corpus \\(2 read; skipped: \\{'no text': 2\\}\\)"):
        newsclf.train([{"title": "", "topic": "other", "region": "asia"}] * 2)


# -- the command line: one error line and exit 2, never a traceback ---------------------------


# In scoring, a JSONL line that is not an object is a row with status bad_json, not an error.
CLI_UNREADABLE = [u for u in UNREADABLE if not u[0].endswith(".jsonl")]


@pytest.mark.parametrize(("name", "data", "message"), CLI_UNREADABLE, ids=[u[0] for u in CLI_UNREADABLE])
@pytest.mark.parametrize("command", ["score", "train", "evaluate"])
def test_cli_reports_unreadable_files_in_one_line(model_dir, tmp_path, capsys, name, data, message, command):
    path = _write(tmp_path / name, data)
    argv = {
        "score": ["score", path, "-o", str(tmp_path / "out.csv"), "-m", str(model_dir), "-q"],
        "train": ["train", path, "-o", str(tmp_path / "model"), "--cv", "2"],
        "evaluate": ["evaluate", str(model_dir), path],
    }[command]
    err = _cli_error(argv, capsys)
    assert path in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["score", "{src}", "-o", "{tmp}/no/such/dir/out.csv", "-q"], "No such file or directory: {tmp}/no/such/dir/out.csv.partial"),
        (["score", "{src}", "-o", "-", "--encoding", "klingon", "-q"], "encoding must be a text encoding Python knows"),
        (["score", "{src}", "-o", "-", "--max-chars", "0", "-q"], "max_chars must be a positive integer or None (got 0)"),
        (["score", "{tmp}", "-o", "-", "-q"], "is a directory, not a file"),
        (["score", "{tmp}/missing.csv", "-o", "-", "-q"], "missing.csv: no such file"),
        (["predict", "-m", "{src}", "x"], "no model directory here"),
        (["train", "{src}", "-o", "{tmp}/m", "--cv", "2"], "missing column(s) 'topic', 'region'"),
    ],
)
def test_cli_misuse_is_one_line(model_dir, tmp_path, capsys, argv, message):
    src = _write(tmp_path / "in.csv", "title,body\nOil rises,x\n")
    argv = [a.format(src=src, tmp=tmp_path) for a in argv]
    if argv[0] == "score":
        argv += ["-m", str(model_dir)]
    err = _cli_error(argv, capsys)
    assert message.format(tmp=tmp_path) in err
    assert capsys.readouterr().out == ""  # nothing half-written to stdout


def test_a_real_process_prints_no_traceback(model_dir, tmp_path):
    src = _write(tmp_path / "in.csv", 'title,body\nx,"never closed\n')
    out = tmp_path / "out.csv"
    result = subprocess.run([sys.executable, "-m", "newsclf", "score", src, "-o", str(out), "-m", str(model_dir), "-q"], capture_output=True, text=True)
    assert result.returncode == 2 and result.stdout == "" and not out.exists()
    assert result.stderr == f"newsclf: error: {src}:2:3: a quoted field opened here is never closed, so the rest of the file (1 line(s)) would be read as one field; close the quote or double it (\"\") if it is part of the text\n"


def test_latin1_through_train_evaluate_and_score(tiny_records, model_dir, tmp_path, capsys):
    src = tmp_path / "latin1.csv"
    with open(src, "w", newline="", encoding="latin-1") as f:
        writer = csv.writer(f)
        writer.writerow(["title", "body", "topic", "region"])
        for r in tiny_records:
            writer.writerow([r["title"], r["body"], "|".join(r["topic"]), r["region"]])
    assert any(ord(c) > 127 for r in tiny_records for c in r["title"])  # the test needs non-ASCII text
    assert "try --encoding latin-1" in _cli_error(["train", str(src), "-o", str(tmp_path / "m"), "--cv", "2"], capsys)
    assert main(["train", str(src), "-o", str(tmp_path / "m"), "--cv", "2", "--char-ngrams", "none", "--encoding", "latin-1"]) == 0
    assert newsclf.load(tmp_path / "m").card["corpus"]["kept"] == len(tiny_records)
    assert main(["evaluate", str(tmp_path / "m"), str(src), "--encoding", "latin-1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == len(tiny_records)
    assert main(["score", str(src), "-o", str(tmp_path / "out.csv"), "-m", str(model_dir), "--encoding", "latin-1", "-q"]) == 0
    out = _read_csv(tmp_path / "out.csv")  # output is always UTF-8
    assert [row[0] for row in out[1:]] == [r["title"] for r in tiny_records]


# -- bounded work -----------------------------------------------------------------------------


def test_max_chars_is_honoured_by_predict_score_and_evaluate(tiny_model, tmp_path):
    head = "Lavrov reafirma el respaldo de Moscú a Maduro. "
    tail = "El banco central sube los tipos de interés y la inflación cae. " * 50
    short, long = {"title": head, "body": ""}, {"title": head, "body": tail}
    n = len(head)
    # predict: the argument and the model attribute
    a, b = tiny_model.predict([short, long], max_chars=n)
    assert b.status == "truncated" and a.scores == b.scores
    tiny_model.max_chars = n
    try:
        assert tiny_model.predict([long])[0].scores == a.scores
        # evaluate reads through Model.predict, so Model.max_chars bounds it too
        labelled = [{**d, "topic": ["diplomacy"], "region": "latin_america"} for d in (short, long)]
        assert evaluate(tiny_model, labelled[:1] * 2).to_dict()["overall"] == evaluate(tiny_model, labelled).to_dict()["overall"]
        assert [r["newsclf_status"] for r in score_records([short, long], tiny_model)] == ["ok", "truncated"]
    finally:
        tiny_model.max_chars = DEFAULT_MAX_CHARS
    assert tiny_model.predict([long])[0].status == "ok"
    # score_file and score_records take it as an argument
    assert [r["newsclf_status"] for r in score_records([short, long], tiny_model, max_chars=n)] == ["ok", "truncated"]
    src = tmp_path / "in.csv"
    with open(src, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["title", "body"], [head, ""], [head, tail]])
    score_file(str(src), str(tmp_path / "out.csv"), tiny_model, max_chars=n)
    out = _read_csv(tmp_path / "out.csv")
    assert [r[-1] for r in out[1:]] == ["ok", "truncated"] and out[1][2:-1] == out[2][2:-1]


def test_training_reads_at_most_the_default_max_chars(tiny_records):
    records = [dict(r) for r in tiny_records]
    records[0]["body"] = "x " * DEFAULT_MAX_CHARS + "qqlatemark"  # past the limit: never seen
    records[1]["body"] = records[1]["body"] + " qqearlymark"  # within it: learned
    model = newsclf.train(records, cv=2, char_ngram_range=None)
    words = " ".join(model.estimator.featurizer_.word_terms_)
    assert "qqearlymark" in words and "qqlatemark" not in words


def _best_of_3(work, make_input, size: int) -> float:
    """The least CPU time (not wall time: other processes do not count) of three runs on fresh inputs."""
    best = math.inf
    for attempt in range(3):
        data = make_input(size, attempt)  # a new input each time, so no cache is warm
        start = time.process_time()
        work(data)
        best = min(best, time.process_time() - start)
    return best


PATHOLOGICAL = {
    "one long token": lambda n, k: "abcdefgh"[k] + "a" * (n - 1),
    "repeated punctuation": lambda n, k: "!?.,;:«»"[k] * n,
    "stacked combining marks": lambda n, k: "aeo"[k] + "\u0301\u0308\u0327" * (n // 3),
    "dotted acronym": lambda n, k: ("abc"[k] + ".") * (n // 2),
    "elisions and hyphens": lambda n, k: ("l'a-" + "xyz"[k]) * (n // 5),
    "ordinary words": lambda n, k: " ".join(f"w{k}rd{i % 997}" for i in range(n // 8)),
    "unspaced Chinese": lambda n, k: "".join(chr(0x4E00 + (i * 7 + k) % 20000) for i in range(n)),
}


@pytest.mark.parametrize("shape", list(PATHOLOGICAL))
def test_text_pipeline_time_is_linear(tiny_model, shape):
    """Time for 8x the input stays under 16x (linear: 8x; quadratic would be 64x)."""
    featurizer = tiny_model.estimator.featurizer_

    def work(text: str) -> None:
        tokenize(normalize(text))
        analyze(text)
        featurizer.transform_with_info([Document(text, "")])  # a Document is not truncated

    small = _best_of_3(work, PATHOLOGICAL[shape], 25_000)
    large = _best_of_3(work, PATHOLOGICAL[shape], 200_000)
    assert large < 16 * max(small, 1e-3), f"{shape}: {small:.4f} s for 25k characters, {large:.4f} s for 200k"


def test_tokens_are_bounded(tiny_model):
    tokens = tokenize(normalize("x" * 200_000 + " " + "a-" * 1000 + "b " + "l'" * 500 + "c"))
    assert max(map(len, tokens)) <= MAX_TOKEN_CHARS and all(tokens)


def test_scoring_time_is_proportional_to_rows(tiny_model, tmp_path):
    titles = ["Lavrov reafirma el respaldo de Moscú a Maduro", "Oil rises as OPEC cuts", "Le PSG s'impose", "Inflação sobe"]

    def run(n: int, attempt: int) -> float:
        src = tmp_path / f"in{n}_{attempt}.csv"
        with open(src, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([["title", "body"], *([f"{titles[i % 4]} {attempt} {i}", "body text"] for i in range(n))])
        start = time.process_time()
        score_file(str(src), str(tmp_path / "out.csv"), tiny_model, chunk_rows=500)
        return time.process_time() - start

    small = min(run(250, k) for k in range(3))
    large = min(run(2000, k) for k in range(3))
    assert large < 16 * small, f"{small:.3f} s for 250 rows, {large:.3f} s for 2,000"


def test_every_error_is_a_newsclf_error_subclass():
    assert issubclass(CorpusError, NewsclfError) and issubclass(LabelError, NewsclfError)
    error = CorpusError("bad", "f.csv", 3, 7)
    assert (str(error), error.reason, error.column) == ("f.csv:3:7: bad", "bad", 7)
    assert str(CorpusError("bad", "f.csv", None, 7)) == "f.csv: bad"  # a column needs a line
    assert str(CorpusError("bad")) == "bad"
