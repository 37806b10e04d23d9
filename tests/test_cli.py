import json

import pytest

from newsclf.cli import main


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, tiny_path):
    out = tmp_path_factory.mktemp("cli") / "model"
    assert main(["train", str(tiny_path), "-o", str(out), "--cv", "2", "--char-ngrams", "3,4", "--tol", "0.01"]) == 0
    return out


def test_train_predict_info(model_dir, capsys):
    capsys.readouterr()
    assert main(["predict", "-m", str(model_dir), "--json", "Lavrov backs Maduro", "Inflação sobe no Brasil"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["text"] for line in lines] == ["Lavrov backs Maduro", "Inflação sobe no Brasil"]
    assert set(lines[0]["labels"]) == {"topic", "region"}
    assert main(["info", str(model_dir)]) == 0
    out = capsys.readouterr().out
    assert "task topic (multi)" in out and "thresholds:" in out and "cross-validated" in out
    assert main(["info", str(model_dir), "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["corpus"]["rows"] == 48
    assert card["params"]["tol"] == 0.01 and card["params"]["char_ngram_range"] == [3, 4]


def test_predict_reads_stdin(model_dir, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("first line\nsecond line\n"))
    assert main(["predict", "-m", str(model_dir), "-k", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0].endswith("first line") and "topic=" in out[0]


def test_errors_are_one_line_and_exit_2(tmp_path, capsys):
    assert main(["predict", "-m", str(tmp_path / "missing"), "x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("newsclf: error:") and err.count("\n") == 1
    bad = tmp_path / "c.csv"
    bad.write_text("headline,topic\nx,other\n")
    assert main(["train", str(bad), "-o", str(tmp_path / "m")]) == 2
    assert "missing column" in capsys.readouterr().err


def test_threshold_option_parsing(model_dir, capsys):
    assert main(["predict", "-m", str(model_dir), "--threshold", "economy=0", "--json", "x"]) == 0
    assert "economy" in json.loads(capsys.readouterr().out)["labels"]["topic"]
    with pytest.raises(SystemExit):
        main(["predict", "--threshold", "economy", "x"])


def test_help_everywhere(capsys):
    for argv in (["--help"], ["train", "--help"], ["predict", "--help"], ["info", "--help"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
    assert "--task" in capsys.readouterr().out


def test_evaluate_table_and_json(model_dir, tiny_path, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(model_dir), str(tiny_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("48 documents") and "by lang:" in out and "topic (multi)  micro-F1" in out
    assert main(["evaluate", str(model_dir), str(tiny_path), "--json", "--by", "region"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["by"]) == {"lang", "region"}
    assert report["by"]["lang"]["fr"]["n"] == 8
    assert 0.0 <= report["overall"]["region"]["accuracy"] <= 1.0
