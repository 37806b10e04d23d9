import itertools
import json

import numpy as np
import pytest

import newsclf
from newsclf import NewsClassifier
from newsclf.cli import main
from newsclf.errors import CorpusError
from newsclf.tune import Candidate, check_grid, make_folds, tune

GRID = {"C": [0.1, 1.0], "char_ngram_range": [None, [3, 4]]}
REGION = {"region": "single"}


@pytest.fixture(scope="module")
def region_search(tiny_records):
    return tune(tiny_records, REGION, grid=GRID, cv=3, keep=2)


def _xy(records, rows):
    return [{"title": records[i]["title"], "body": records[i]["body"]} for i in rows], [records[i] for i in rows]


def test_every_candidate_is_listed_and_the_best_is_the_argmax(region_search):
    model, result = region_search
    combos = {(c.params["C"], c.params["char_ngram_range"]) for c in result.candidates}
    # The untuned model (C=0.5, characters 3-5), the two coarse configurations at C=0.5, and with keep=2
    # both configurations refined with every C of the grid: the full product is among them.
    assert set(itertools.product([0.1, 1.0], [None, (3, 4)])) <= combos
    assert combos >= {(0.5, (3, 5)), (0.5, None), (0.5, (3, 4))}
    assert len(result.candidates) == len(combos) == 7
    assert [c.stage for c in result.candidates].count("default") == 1 and result.candidates[0] is result.default
    assert result.default.params == {"C": 0.5, "char_ngram_range": (3, 5)}
    means = [c.mean for c in result.candidates]
    assert result.best.mean == max(means)
    assert result.best is result.candidates[int(np.argmax(means))]
    assert result.best.mean >= result.default.mean
    for c in result.candidates:
        assert len(c.scores) == 3 and all(0.0 <= s <= 1.0 for s in c.scores)
    assert model.estimator.C == result.best.params["C"]
    assert model.estimator.char_ngram_range == result.best.params["char_ngram_range"]


def test_card_records_the_search(region_search, tmp_path):
    model, result = region_search
    card = newsclf.load(model.save(tmp_path / "m")).card["tuning"]
    assert card["space"] == {"C": [0.1, 1.0], "char_ngram_range": [None, [3, 4]]}
    assert len(card["candidates"]) == 7
    assert {json.dumps(c["params"], sort_keys=True) for c in card["candidates"]} == {
        json.dumps({"C": c.params["C"], "char_ngram_range": list(c.params["char_ngram_range"] or []) or None}, sort_keys=True)
        for c in result.candidates
    }
    for entry in card["candidates"]:
        assert entry["mean"] == pytest.approx(np.mean(entry["fold_scores"]), abs=1e-5)
        assert entry["std"] == pytest.approx(np.std(entry["fold_scores"]), abs=1e-5)
    assert card["chosen"]["params"]["C"] == result.best.params["C"]
    assert card["untuned"]["params"] == {"C": 0.5, "char_ngram_range": [3, 5]}
    assert card["chosen"]["improvement"] == pytest.approx(result.best.mean - result.default.mean, abs=1e-5)
    assert card["folds"]["k"] == 3 and card["folds"]["splitter"] == "StratifiedKFold"
    assert sum(card["folds"]["test_sizes"]) == 48
    assert card["scoring"] == "mean of region:accuracy" and card["seconds"]["total"] > 0
    table = result.format()
    assert table.count("\n") >= 7 and "chosen (*)" in table and "untuned" in table


def test_fold_scores_are_those_of_models_trained_on_the_fold(tiny_records, region_search):
    _, result = region_search
    for (train, test), score in zip(result.folds, result.default.scores):
        X, y = _xy(tiny_records, train)
        est = NewsClassifier(tasks=REGION, random_state=0).fit(X, [r["region"] for r in y])
        Xt, yt = _xy(tiny_records, test)
        assert est.score(Xt, [r["region"] for r in yt]) == pytest.approx(score, abs=1e-12)


def test_multi_label_folds_use_the_full_estimator(tiny_records):
    _, result = tune(tiny_records, grid={"C": [1.0]}, params={"cv": 2, "char_ngram_range": None}, keep=None)
    assert [c.params for c in result.candidates] == [{"C": 0.5}, {"C": 1.0}]
    assert result.scoring == "mean of topic:micro_f1, region:accuracy"
    train, test = result.folds[0]
    X, y = _xy(tiny_records, train)
    est = NewsClassifier(C=1.0, cv=2, char_ngram_range=None).fit(X, [{"topic": r["topic"], "region": r["region"]} for r in y])
    Xt, yt = _xy(tiny_records, test)
    expected = est.score(Xt, [{"topic": r["topic"], "region": r["region"]} for r in yt])
    assert result.candidates[1].scores[0] == pytest.approx(expected, abs=1e-12)


def test_keep_limits_the_fine_stage(tiny_records):
    _, result = tune(tiny_records, REGION, grid=GRID, cv=3, keep=1)
    coarse = [c for c in result.candidates if c.params["C"] == 0.5 and c.params["char_ngram_range"] in (None, (3, 4))]
    top = max(coarse, key=lambda c: c.mean).params["char_ngram_range"]
    fine = [c for c in result.candidates if c.stage == "fine"]
    assert len(fine) == 2 and {c.params["char_ngram_range"] for c in fine} == {top}


def test_groups_stay_within_one_fold(tiny_records):
    targets = [{"region": (r["region"],)} for r in tiny_records]
    groups = [f"story{i // 3}" for i in range(len(tiny_records))]
    groups[5] = None  # no value: a group of its own
    folds, info = make_folds(targets, newsclf.schema.parse_tasks(REGION), 3, groups, random_state=1)
    assert info["splitter"] == "StratifiedGroupKFold" and info["groups"] == 17 and info["ungrouped_documents"] == 1
    seen = np.concatenate([test for _, test in folds])
    assert sorted(seen) == list(range(48))
    for train, test in folds:
        assert not set(train) & set(test)
        assert {groups[i] for i in test if groups[i]}.isdisjoint({groups[i] for i in train if groups[i]})


def test_tune_with_a_group_column(tiny_records):
    records = [{**r, "story": f"s{i // 4}"} for i, r in enumerate(tiny_records)]
    _, result = tune(records, REGION, grid={"C": [1.0]}, cv=3, group_column="story")
    assert result.fold_info["group_column"] == "story" and result.fold_info["groups"] == 12
    for train, test in result.folds:
        assert {i // 4 for i in train}.isdisjoint({i // 4 for i in test})
    with pytest.raises(CorpusError, match="group column 'nope' is missing or empty"):
        tune(records, REGION, grid={"C": [1.0]}, group_column="nope")


def test_folds_are_stratified(tiny_records):
    targets = [{"region": (r["region"],)} for r in tiny_records]
    folds, _ = make_folds(targets, newsclf.schema.parse_tasks(REGION), 3)
    for _, test in folds:
        regions = [tiny_records[i]["region"] for i in test]
        assert regions.count("latin_america") in (5, 6) and regions.count("europe") in (2, 3)


@pytest.mark.parametrize(
    ("grid", "error", "message"),
    [
        ({}, ValueError, "grid is empty"),
        ({"gamma": [1]}, ValueError, "unknown parameter 'gamma'"),
        ({"tasks": [None]}, ValueError, "unknown parameter 'tasks'"),
        ({"C": []}, ValueError, r"grid\['C'\] is empty"),
        ({"C": 0.5}, ValueError, r"grid\['C'\] must be a list"),
        ({"C": [0.5, -1]}, ValueError, r"grid\['C'\]: C must be a positive number"),
        ({"C": [True]}, ValueError, r"grid\['C'\]: C must be a number"),
        ({"class_weight": ["auto"]}, ValueError, "class_weight must be 'balanced' or None"),
        ({"word_ngram_range": [[2, 1]]}, ValueError, "word_ngram_range must be a pair"),
        ({"title_weight": [0]}, ValueError, "title_weight must be a positive number"),
        ([("C", [1])], TypeError, "grid must be a mapping"),
    ],
)
def test_bad_grids(grid, error, message):
    with pytest.raises(error, match=message):
        check_grid(grid)
    with pytest.raises(error, match=message):
        tune([], grid=grid)  # the grid is checked before the corpus is read


def test_grid_values_are_normalised():
    grid = check_grid({"char_ngram_range": ["none", [2, 5], [2, 5]], "class_weight": [None, "balanced"], "C": [1, 2.0]})
    assert grid == {"char_ngram_range": (None, (2, 5)), "class_weight": (None, "balanced"), "C": (1.0, 2.0)}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"params": {"C": 1.0}}, "both in the grid and fixed"),
        ({"params": {"n_jobs": 2}}, "not fixable parameter"),
        ({"params": {"min_df": 0}}, "min_df must be"),
        ({"scoring": "topic"}, "unknown task 'topic'"),
        ({"scoring": "region:micro_f1_scored"}, "not one of accuracy, micro_f1, macro_f1"),
        ({"keep": 0}, "keep must be a positive integer"),
        ({"cv": 1}, "cv must be an integer >= 2"),
    ],
)
def test_bad_arguments(tiny_records, kwargs, message):
    with pytest.raises(ValueError, match=message):
        tune(tiny_records, REGION, **{"grid": {"C": [1.0]}, **kwargs})


def test_candidate_statistics():
    c = Candidate({"C": 1.0}, "fine", (0.5, 0.7, 0.9))
    assert c.mean == pytest.approx(0.7) and c.std == pytest.approx(np.std([0.5, 0.7, 0.9]))
    assert c.to_dict()["fold_scores"] == [0.5, 0.7, 0.9]


def test_cli_tune(tiny_path, tmp_path, capsys):
    grid_file = tmp_path / "grid.json"
    grid_file.write_text(json.dumps({"C": [0.1, 1], "title_weight": [1, 2]}))
    out = tmp_path / "model"
    code = main(["tune", str(tiny_path), "-o", str(out), "--task", "region:single", "--grid", str(grid_file), "--cv", "3", "-q"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "rank" in captured.out and "title_weight" in captured.out and "chosen (*)" in captured.out
    card = newsclf.load(out).card
    assert card["tuning"]["space"] == {"C": [0.1, 1.0], "title_weight": [1.0, 2.0]}
    assert card["params"]["C"] == card["tuning"]["chosen"]["params"]["C"]
    assert "model written to" in captured.err


def test_cli_tune_json_grid_and_errors(tiny_path, tmp_path, capsys):
    out = tmp_path / "model"
    code = main([
        "tune", str(tiny_path), "-o", str(out), "--task", "region:single", "--grid", '{"C": [0.5, 2]}',
        "--fixed", "char_ngram_range=null", "--keep", "0", "-q",
    ])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    card = newsclf.load(out).card
    assert card["tuning"]["fixed"] == {"char_ngram_range": None} and card["params"]["char_ngram_range"] is None
    assert card["tuning"]["search"] == "full grid"
    capsys.readouterr()
    assert main(["tune", str(tiny_path), "-o", str(out), "--grid", '{"C": [', "-q"]) == 2
    assert "--grid must be JSON" in capsys.readouterr().err
    assert main(["tune", str(tiny_path), "-o", str(out), "--grid", '{"gamma": [1]}', "-q"]) == 2
    assert "unknown parameter 'gamma'" in capsys.readouterr().err
