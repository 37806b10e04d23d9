"""Evaluation reports: metrics by hand, calibration bins, confusion tables, thresholds, HTML page."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from newsclf.calibration import expected_calibration_error, reliability_bins
from newsclf.cli import main
from newsclf.evaluate import confusion, evaluate, task_calibration, task_scores
from newsclf.schema import Task

TOPIC = Task("topic", "multi", ("diplomacy", "economy", "military", "other"), empty="other")
REGION = Task("region", "single", ("africa", "asia", "europe"))


def test_task_scores_by_hand():
    truth = [("diplomacy",), ("military", "diplomacy"), ("other",), ("economy",)]
    predicted = [("diplomacy",), ("military",), ("economy",), ("economy",)]
    s = task_scores(TOPIC, truth, predicted)
    # tp: diplomacy 1, military 1, economy 1; fp: economy 1; fn: diplomacy 1, other 1
    assert s["micro_f1"] == pytest.approx(2 * 3 / (2 * 3 + 1 + 2))
    assert s["labels"]["economy"] == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3), "support": 1}
    assert s["subset_accuracy"] == 0.5
    assert s["hamming_loss"] == pytest.approx(3 / (4 * 4))
    single = task_scores(REGION, [("asia",), ("europe",), ("asia",)], [("asia",), ("asia",), ("asia",)])
    assert single["accuracy"] == pytest.approx(2 / 3)
    assert single["labels"]["asia"]["precision"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="same length"):
        task_scores(REGION, [("asia",)], [])


def test_reliability_bins_and_ece_agree():
    rng = np.random.default_rng(1)
    confidence = rng.random(2000)
    correct = rng.random(2000) < confidence**2  # over-confident on purpose
    bins = reliability_bins(confidence, correct)
    assert sum(b["count"] for b in bins) == 2000
    assert all(b["lo"] <= b["confidence"] <= b["hi"] for b in bins)
    by_hand = sum(b["count"] * abs(b["confidence"] - b["accuracy"]) for b in bins) / 2000
    assert expected_calibration_error(confidence, correct) == pytest.approx(by_hand)
    assert expected_calibration_error(confidence, correct) > 0.1
    assert expected_calibration_error(confidence, rng.random(2000) < confidence) < 0.05
    with pytest.raises(ValueError, match="differ in size"):
        reliability_bins(confidence, correct[:10])


def test_task_calibration_single_and_multi():
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]])
    c = task_calibration(REGION, proba, [("africa",), ("europe",)])
    # top-label confidences 0.7 (right) and 0.8 (wrong) fall in two bins
    assert [b["count"] for b in c["bins"]] == [1, 1]
    assert c["ece"] == pytest.approx((0.3 + 0.8) / 2)
    topic_proba = np.array([[0.9, 0.1, 0.2, 0.0], [0.2, 0.1, 0.9, 0.0]])
    m = task_calibration(TOPIC, topic_proba, [("diplomacy",), ("military",)])
    assert sum(b["count"] for b in m["bins"]) == 6  # 2 documents x 3 scored labels
    with pytest.raises(ValueError, match="shape"):
        task_calibration(REGION, proba[:, :2], [("africa",), ("europe",)])


def test_confusion_counts():
    single = confusion(REGION, [("asia",), ("asia",), ("europe",)], [("asia",), ("europe",), ("europe",)])
    assert single["labels"] == ["africa", "asia", "europe"]
    assert single["matrix"] == [[0, 0, 0], [0, 1, 1], [0, 0, 1]]
    multi = confusion(TOPIC, [("diplomacy", "military")], [("military",)])
    m = dict(zip(multi["labels"], multi["matrix"]))
    assert m["diplomacy"][multi["labels"].index("military")] == 1
    assert m["military"][multi["labels"].index("military")] == 1
    assert sum(map(sum, multi["matrix"])) == 2


def test_evaluate_report_object(tiny_model, tiny_records):
    report = evaluate(tiny_model, tiny_records, by=["region"])
    assert report.n == len(tiny_records)
    assert set(report.by) == {"lang", "region"}
    for task in tiny_model.tasks:
        matrix = np.array(report.confusion[task.name]["matrix"])
        if not task.is_multi:
            assert matrix.sum() == len(tiny_records)
            assert np.trace(matrix) / len(tiny_records) == pytest.approx(report.overall[task.name]["accuracy"])
        assert 0.0 <= report.calibration[task.name]["ece"] <= 1.0
    learned = tiny_model.card["thresholds"]["topic"]
    assert {k: v["threshold"] for k, v in report.thresholds["topic"].items()} == pytest.approx(learned)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["n"] == len(tiny_records) and "calibration" in data and "confusion" in data
    text = report.format()
    assert "confusion (rows: true" in text and "label co-occurrence" in text and "threshold" in text


def test_threshold_override_changes_the_evaluation(tiny_model, tiny_records):
    strict = evaluate(tiny_model, tiny_records, thresholds={"diplomacy": 1.0})
    assert strict.thresholds["topic"]["diplomacy"] == {"threshold": 1.0, "overridden": True}
    assert strict.overall["topic"]["labels"]["diplomacy"]["recall"] == 0.0
    assert "*" in strict.format()


def test_cli_report_writes_a_page_with_plots(tiny_model_dir, tiny_path, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "report"
    assert main(["evaluate", str(tiny_model_dir), str(tiny_path), "--report", str(out), "--threshold", "economy=0.3"]) == 0
    page = (out / "index.html").read_text(encoding="utf-8")
    for task in ("topic", "region"):
        for kind in ("confusion", "reliability"):
            png = out / f"{kind}_{task}.png"
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert f"{kind}_{task}.png" in page
    assert len(re.findall(r'<img src="data:image/png;base64,', page)) == 4
    assert "0.30 (given)" in page
    assert "report written to" in capsys.readouterr().err


def test_cli_evaluate_rejects_unknown_threshold_label(tiny_model_dir, tiny_path, capsys):
    assert main(["evaluate", str(tiny_model_dir), str(tiny_path), "--threshold", "sport=0.5"]) == 2
    assert "unknown label 'sport'" in capsys.readouterr().err
