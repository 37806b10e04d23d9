"""The corpus batch checker (scripts/check_corpus_batch.py) finds what a writer got wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


@pytest.fixture
def checker(monkeypatch):
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import check_corpus_batch

    return check_corpus_batch


def _item(**changes) -> dict:
    item = {"id": "t-0001", "lang": "es", "title": "Lavrov reafirma el respaldo de Moscú a Maduro", "body": "",
            "topic": ["diplomacy"], "region": "latin_america", "countries": ["RU", "VE"], "style": "wire", "year": 2019}  # fmt: skip
    return {**item, **changes}


def _write(folder: Path, items: list[dict]) -> None:
    folder.mkdir(exist_ok=True)
    with open(folder / "part_01.jsonl", "w", encoding="utf-8") as f:
        for item in items:
            f.write(json.dumps(item, ensure_ascii=False) + "\n")


def test_a_good_item_has_no_problem(checker):
    assert checker.problems_of(_item()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"topic": ["other", "economy"]}, "'other' cannot go together"),
        ({"topic": ["diplomacy", "diplomacy"]}, "without repeats"),
        ({"region": "mars"}, "mars"),
        ({"countries": ["XX"]}, "unknown country codes ['XX']"),
        ({"year": 1990}, "year out of 1996-2026"),
        ({"style": "blog"}, "unknown style"),
        ({"lang": "de"}, "unknown language"),
        ({"title": " ", "body": ""}, "no text"),
    ],
)  # fmt: skip
def test_each_problem_is_named(checker, changes, expected):
    assert any(expected in p for p in checker.problems_of(_item(**changes)))


def test_missing_fields_and_near_duplicates(checker, tmp_path):
    twin = "Rusia y Venezuela firman en Caracas un acuerdo de cooperación militar y energética por diez años"
    items = [_item(id="t-1", title=twin), _item(id="t-2", title=twin + " hoy"), {"id": "t-3"}]
    _write(tmp_path / "batch", items)
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps(_item(id="old-1", title=twin), ensure_ascii=False) + "\n", encoding="utf-8")
    kept, problems = checker.check(tmp_path / "batch", corpus)
    assert [i["id"] for i in kept] == ["t-1", "t-2"]
    assert any(p.startswith("part_01.jsonl:3: fields differ") for p in problems)
    assert "near-duplicates: t-1 ~ t-2" in problems
    assert "near-duplicate of corpus item old-1: t-1" in problems
    assert checker.main([str(tmp_path / "batch"), "--corpus", str(corpus)]) == 1
