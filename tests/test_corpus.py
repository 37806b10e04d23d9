import gzip
import json

import pytest

from newsclf.corpus import CorpusReport, read_corpus, read_rows
from newsclf.errors import CorpusError
from newsclf.schema import DEFAULT_TASKS, parse_tasks

TASKS = DEFAULT_TASKS


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_guessed(tmp_path, delimiter):
    d = delimiter
    path = _write(tmp_path / "c.csv", f"title{d}body{d}topic{d}region\nA{d}B{d}economy{d}europe\n")
    rows = list(read_corpus(path, TASKS))
    assert rows[0]["title"] == "A" and rows[0]["topic"] == ("economy",)


def test_bom_crlf_quoted_newlines_and_line_numbers(tmp_path):
    text = '\ufefftitle,body,topic,region\r\n"Multi\r\nline, title","x",military|diplomacy,asia\r\nT2,,other,africa\r\n'
    path = _write(tmp_path / "c.csv", text)
    rows = list(read_corpus(path, TASKS))
    assert rows[0]["title"] == "Multi\r\nline, title"
    assert rows[0]["topic"] == ("diplomacy", "military")
    assert rows[0]["source"].endswith(":2") and rows[1]["source"].endswith(":4")


def test_jsonl_and_gzip(tmp_path):
    lines = [{"title": "t", "body": "b", "topic": ["economy", "diplomacy"], "region": "global"}]
    text = "\n".join(json.dumps(r) for r in lines) + "\n"
    plain = _write(tmp_path / "c.jsonl", text)
    zipped = tmp_path / "c.jsonl.gz"
    zipped.write_bytes(gzip.compress(text.encode()))
    assert list(read_corpus(plain, TASKS))[0]["topic"] == ("diplomacy", "economy")
    assert [r["title"] for r in read_corpus(zipped, TASKS)] == ["t"]


def test_missing_column_lists_the_columns(tmp_path):
    path = _write(tmp_path / "c.csv", "headline,topic,region\nx,other,asia\n")
    with pytest.raises(CorpusError, match="missing column\\(s\\) 'title'; the columns are: headline, topic, region"):
        list(read_corpus(path, TASKS))
    rows = list(read_corpus(path, TASKS, title_column="headline"))
    assert rows[0]["title"] == "x"


def test_bad_rows_are_skipped_and_counted_or_raise_when_strict(tmp_path):
    text = "title,topic,region\nok,other,asia\n,other,asia\nbad,sport,asia\nragged,other\nok2,economy,europe\n"
    path = _write(tmp_path / "c.csv", text)
    report = CorpusReport()
    rows = list(read_corpus(path, TASKS, report=report))
    assert [r["title"] for r in rows] == ["ok", "ok2"]
    assert report.rows == 5 and report.kept == 2 and sum(report.skipped.values()) == 3
    assert any(":4: bad label" in e and "unknown label 'sport'" in e for e in report.examples)
    with pytest.raises(CorpusError, match=":3: no text"):
        list(read_corpus(path, TASKS, strict=True))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"title,title,topic\n", "duplicated column"),
        (b"ti\x00tle,topic\n", "NUL bytes"),
    ],
)
def test_unreadable_files(tmp_path, content, message):
    path = tmp_path / "c.csv"
    path.write_bytes(content)
    with pytest.raises(CorpusError, match=message):
        list(read_rows(str(path)))


def test_invalid_utf8_suggests_latin1(tmp_path):
    path = _write(tmp_path / "c.csv", "title,topic,region\nCañón,other,europe\n", "latin-1")
    with pytest.raises(CorpusError, match="try --encoding latin-1"):
        list(read_corpus(path, TASKS))
    assert list(read_corpus(path, TASKS, encoding="latin-1"))[0]["title"] == "Cañón"


def test_bad_jsonl_line(tmp_path):
    path = _write(tmp_path / "c.jsonl", '{"title": "a"}\nnot json\n')
    with pytest.raises(CorpusError, match=":2: not valid JSON"):
        list(read_rows(str(path)))


def test_no_such_file():
    with pytest.raises(CorpusError, match="no such file"):
        list(read_rows("/nonexistent/x.csv"))


def test_text_and_label_column_mapping(tmp_path):
    path = _write(tmp_path / "c.tsv", "text\tcat\nhello world\tgreeting\n")
    rows = list(read_corpus(path, parse_tasks(["kind:single"]), text_column="text", label_columns={"kind": "cat"}))
    assert rows == [{"title": "hello world", "body": "", "kind": ("greeting",), "source": f"{path}:2"}]
