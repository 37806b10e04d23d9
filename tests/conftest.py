"""Shared fixtures: the tiny hand-written corpus, a model trained on it, and ../shared when present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import newsclf

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def tiny_path() -> Path:
    return DATA / "tiny.jsonl"


@pytest.fixture(scope="session")
def tiny_records(tiny_path) -> list[dict]:
    with open(tiny_path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="session")
def tiny_model(tiny_records) -> newsclf.Model:
    """A model on the tiny corpus; small vocabularies keep it fast. Do not mutate."""
    return newsclf.train(tiny_records, cv=3, char_ngram_range=(3, 4))


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_model, tmp_path_factory) -> Path:
    """``tiny_model`` saved to a directory, for command-line tests. Do not modify."""
    return tiny_model.save(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def shared() -> Path:
    """The ../shared folder of the project (CI and developers have it; users do not)."""
    if not (SHARED / "taxonomy" / "TAXONOMY.md").is_file():
        pytest.skip(f"needs the project's shared data folder at {SHARED} (not part of the package)")
    return SHARED
