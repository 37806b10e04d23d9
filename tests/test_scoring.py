import csv
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from newsclf.cli import main
from newsclf.errors import CorpusError
from newsclf.scoring import score_file, score_records

NASTY = [
    ["1", 'He said "no", then left', "line one\nline two\r\nline three", "ü€😀"],
    ["2", "Lavrov reafirma el respaldo de Moscú a Maduro", "", ""],
    ["3", "  spaced  ", "a,b;c\td", '""'],
    ["4", "", "", "empty text"],
    ["5", "Le PSG s'impose", "«guillemets»", "\u200b"],
]


@pytest.fixture(scope="module")
def model_dir(tiny_model, tmp_path_factory):
    return tiny_model.save(tmp_path_factory.mktemp("scoring") / "model")


def _write_csv(path, rows, header=("id", "title", "body", "note")):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_cell_kept_and_order_preserved(model_dir, tmp_path, jobs):
    src = _write_csv(tmp_path / "in.csv", NASTY * 3)
    summary = score_file(str(src), str(tmp_path / "out.csv"), model_dir, n_jobs=jobs, chunk_rows=2)
    out = _read_csv(tmp_path / "out.csv")
    assert out[0][:4] == ["id", "title", "body", "note"]
    assert out[0][4:] == ["pred_topic", "pred_topic_score", "pred_region", "pred_region_score", "pred_countries", "newsclf_status"]
    assert [row[:4] for row in out[1:]] == NASTY * 3
    assert summary.rows == 15 and summary.statuses == {"ok": 12, "empty_text": 3}
    assert out[2][8] == "RU|VE"  # "Moscú", and Maduro, whose name places the story in Venezuela
    assert not os.path.exists(tmp_path / "out.csv.partial") and not os.path.exists(tmp_path / "out.csv.state.json")


def test_malformed_rows_are_kept_with_status(model_dir, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("id,title,body\n1,a,b\n2,short\n3,x,y,z,w\n4,ok,fine\n", encoding="utf-8")
    score_file(str(src), str(tmp_path / "out.csv"), model_dir)
    out = _read_csv(tmp_path / "out.csv")
    assert [r[0] for r in out[1:]] == ["1", "2", "3", "4"]
    assert [r[-1] for r in out[1:]] == ["ok", "ragged", "ragged", "ok"]
    assert out[2][:3] == ["2", "short", ""] and out[3][:3] == ["3", "x", "y,z,w"]


def test_scores_match_labels(model_dir, tmp_path):
    src = _write_csv(tmp_path / "in.csv", NASTY)
    score_file(str(src), str(tmp_path / "out.csv"), model_dir, all_scores=True)
    out = _read_csv(tmp_path / "out.csv")
    header = out[0]
    for row in out[1:]:
        record = dict(zip(header, row))
        for label, score in zip(record["pred_topic"].split("|"), record["pred_topic_score"].split("|")):
            assert record[f"score_topic_{label}"] == score
            assert 0.0 <= float(score) <= 1.0


def test_gzip_jsonl_in_and_out(model_dir, tmp_path):
    rows = [{"title": "Oil rises", "body": "OPEC", "meta": {"k": [1, 2]}}, {"title": 3, "body": None}]
    text = "".join(json.dumps(r) + "\n" for r in rows) + "not json\n"
    src = tmp_path / "in.jsonl.gz"
    src.write_bytes(gzip.compress(text.encode()))
    summary = score_file(str(src), str(tmp_path / "out.jsonl"), model_dir)
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(out) == 3 and out[0]["meta"] == {"k": [1, 2]} and out[1]["title"] == 3
    assert out[2]["_raw"] == "not json" and out[2]["newsclf_status"] == "bad_json"
    assert summary.statuses["bad_json"] == 1


def test_impossible_requests_are_refused_before_writing(model_dir, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"title": "a"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="JSONL input can only be written as JSONL"):
        score_file(str(src), str(tmp_path / "out.csv"), model_dir, out_fmt="csv")
    with pytest.raises(ValueError, match="resume needs an input file and an output file"):
        score_file("-", str(tmp_path / "out.jsonl"), model_dir, resume=True)
    assert not list(tmp_path.glob("out*"))


def test_csv_to_jsonl_and_tsv(model_dir, tmp_path):
    src = _write_csv(tmp_path / "in.csv", NASTY)
    score_file(str(src), str(tmp_path / "out.jsonl"), model_dir, out_fmt="jsonl")
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [o["body"] for o in out] == [r[2] for r in NASTY]
    tsv = tmp_path / "in.tsv"
    tsv.write_text("title\tbody\nA\tB\n", encoding="utf-8")
    score_file(str(tsv), str(tmp_path / "out.tsv"), model_dir)
    assert (tmp_path / "out.tsv").read_text().splitlines()[0].startswith("title\tbody\tpred_topic")


def test_missing_text_column_and_clashing_columns(model_dir, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("headline,x\nA,B\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="no text column.*headline, x"):
        score_file(str(src), str(tmp_path / "o.csv"), model_dir)
    score_file(str(src), str(tmp_path / "o.csv"), model_dir, text_column="headline")
    src.write_text("title,pred_topic\nA,B\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="already has column"):
        score_file(str(src), str(tmp_path / "o2.csv"), model_dir)


def test_stdin_to_stdout_through_the_cli(model_dir, tmp_path):
    data = "title,body\nLavrov backs Maduro,x\nOil rises,y\n"
    result = subprocess.run(
        [sys.executable, "-m", "newsclf", "score", "-", "-o", "-", "-m", str(model_dir), "-q"],
        input=data.encode(), capture_output=True, check=True,
    )
    rows = list(csv.reader(io.StringIO(result.stdout.decode())))
    assert len(rows) == 3 and rows[1][0] == "Lavrov backs Maduro"
    assert b"scored 2 rows" in result.stderr


def test_score_records_in_memory(tiny_model):
    rows = [{"title": "Oil rises", "id": 1}, {"title": "", "id": 2}]
    out = list(score_records(rows, tiny_model))
    assert [o["id"] for o in out] == [1, 2] and out[1]["newsclf_status"] == "empty_text"
    with pytest.raises(TypeError, match="must be a dict"):
        list(score_records(["text"], tiny_model))


def test_resume_after_a_kill_gives_identical_bytes(model_dir, tmp_path):
    titles = ["Lavrov reafirma el respaldo de Moscú a Maduro", "Oil rises as OPEC cuts", "Le PSG s'impose", "Inflação sobe"]
    src = _write_csv(tmp_path / "in.csv", [[str(i), titles[i % 4] + f" {i}", "body " * (i % 7), ""] for i in range(40_000)])
    reference = tmp_path / "reference.csv"
    score_file(str(src), str(reference), model_dir, chunk_rows=500)
    out = tmp_path / "out.csv"
    cmd = [sys.executable, "-m", "newsclf", "score", str(src), "-o", str(out), "-m", str(model_dir), "-j", "1", "--chunk-rows", "500", "-q"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE)
    state = tmp_path / "out.csv.state.json"
    deadline = time.time() + 60
    while time.time() < deadline:
        if state.exists() and json.loads(state.read_text() or "{}").get("rows", 0) >= 2000:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists(), "the run finished before it could be killed"
    done = json.loads(state.read_text())["rows"]
    assert 0 < done < 40_000
    # Garbage after the last complete chunk must be cut off on resume.
    with open(str(out) + ".partial", "a", encoding="utf-8") as f:
        f.write("half a row,")
    assert main(["score", str(src), "-o", str(out), "-m", str(model_dir), "-j", "1", "--chunk-rows", "500", "--resume", "-q"]) == 0
    assert out.read_bytes() == reference.read_bytes()


def test_dask_local_cluster_matches_single_machine(model_dir, tmp_path):
    pytest.importorskip("dask.dataframe")
    from dask.distributed import LocalCluster

    from newsclf.cluster import score_files_dask

    inputs = tmp_path / "in"
    inputs.mkdir()
    for k in range(3):
        _write_csv(inputs / f"part{k}.csv", [[f"{k}-{r[0]}", *r[1:]] for r in NASTY])
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        written = score_files_dask(str(inputs / "*.csv"), str(tmp_path / "out"), str(model_dir), scheduler=cluster.scheduler_address)
    assert [os.path.basename(p) for p in written] == ["part0.scored.csv", "part1.scored.csv", "part2.scored.csv"]
    for k, path in enumerate(written):
        score_file(str(inputs / f"part{k}.csv"), str(tmp_path / f"single{k}.csv"), model_dir)
        dask_rows, single_rows = _read_csv(path), _read_csv(tmp_path / f"single{k}.csv")
        assert dask_rows == single_rows
