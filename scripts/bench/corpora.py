"""The benchmark corpora, each loaded as a train and a test list of documents.

A document is a dict ``{"id", "title", "body", "labels"}``; ``labels`` is a list with one label for a
single-label corpus and one or more for a multi-label one. Every system gets the same documents:
newsclf reads the title and the body as such (its API takes both), the peers read
:func:`document_text`, the title and the body joined by a newline.

===============  ============================================  =======================================
name             source                                        split
===============  ============================================  =======================================
``r8``           ``reuters21578.csv``, rows with ``r8_label``  ``modapte_split`` (5,485 / 2,189)
``r52``          ``reuters21578.csv``, rows with ``r52_label`` ``modapte_split`` (6,532 / 2,568)
``20ng``         ``20newsgroups_bydate.csv``, ``source_label``  ``split`` (11,314 / 7,532)
``news-topic``   ``datasets/news_corpus.jsonl``, ``topic``     seeded 80/20, stratified by region
``news-region``  ``datasets/news_corpus.jsonl``, ``region``    the same split as ``news-topic``
===============  ============================================  =======================================

The news corpus has no published split, so :func:`news_split` makes one: the documents of each
region are sorted by id, shuffled with ``random.Random(SEED)`` and the first ``round(0.2 * n)``
of each region go to the test set. The topic task is multi-label with ``other`` as its empty label
(``other`` is given, alone, to documents none of the other topics fits).

``--quick`` (:func:`subsample`) keeps a seeded random subset of each split, for development.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_DATA = ROOT.parent / "shared" / "data" / "bench"
NEWS_CORPUS = ROOT / "datasets" / "news_corpus.jsonl"

#: Seed of the news corpus split and of ``--quick`` subsampling.
SEED = 0
#: Share of each region's news documents that goes to the test set.
NEWS_TEST_SHARE = 0.2

CORPORA = ("r8", "r52", "20ng", "news-topic", "news-region")


@dataclass
class Corpus:
    """A labelled corpus with its train/test split.

    Attributes
    ----------
    name : str
        One of :data:`CORPORA`.
    kind : {"single", "multi"}
        Single-label (one label per document) or multi-label.
    train, test : list of dict
        Documents ``{"id", "title", "body", "labels"}``.
    empty_label : str or None
        For a multi-label corpus, the label that stands alone when no other applies.
    source : str
        Where the documents come from and how they were split.
    """

    name: str
    kind: str
    train: list[dict]
    test: list[dict]
    empty_label: str | None = None
    source: str = ""
    notes: dict = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        """Every label of the training set, sorted."""
        return sorted({label for doc in self.train for label in doc["labels"]})

    def describe(self) -> dict:
        """Sizes, labels and a fingerprint of the split (JSON-ready)."""
        digest = hashlib.sha256()
        for split in (self.train, self.test):
            for doc in split:
                digest.update(json.dumps([doc["id"], doc["labels"]], ensure_ascii=False).encode("utf-8"))
            digest.update(b"--")
        return {
            "kind": self.kind,
            "n_train": len(self.train),
            "n_test": len(self.test),
            "n_labels": len(self.labels),
            "empty_label": self.empty_label,
            "source": self.source,
            "split_sha256": digest.hexdigest()[:16],
            **self.notes,
        }


def document_text(doc: dict) -> str:
    """The text the peers read: the title and the body joined by a newline."""
    title, body = doc["title"].strip(), doc["body"].strip()
    return f"{title}\n{body}" if title and body else title or body


def _read_csv(path: Path):
    if not path.is_file():
        raise FileNotFoundError(f"no benchmark corpus at {path} (the project's ../shared/data/bench folder)")
    csv.field_size_limit(2**31 - 1)
    with open(path, encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


def load_reuters(label_column: str, data_dir: Path = BENCH_DATA) -> Corpus:
    """R8 (``label_column="r8_label"``) or R52 (``"r52_label"``), ModApte split."""
    splits: dict[str, list[dict]] = {"train": [], "test": []}
    for row in _read_csv(data_dir / "reuters21578.csv"):
        if row[label_column] and row["modapte_split"] in splits:
            splits[row["modapte_split"]].append(
                {"id": row["id"], "title": row["title"], "body": row["body"], "labels": [row[label_column]]}
            )
    name = "r8" if label_column == "r8_label" else "r52"
    return Corpus(name, "single", splits["train"], splits["test"], source=f"reuters21578.csv: {label_column}, modapte_split")


def load_20ng(data_dir: Path = BENCH_DATA) -> Corpus:
    """20 Newsgroups, bydate split; the title is the subject line."""
    splits: dict[str, list[dict]] = {"train": [], "test": []}
    for row in _read_csv(data_dir / "20newsgroups_bydate.csv"):
        if row["split"] in splits:
            splits[row["split"]].append(
                {"id": row["id"], "title": row["title"], "body": row["body"], "labels": [row["source_label"]]}
            )
    return Corpus("20ng", "single", splits["train"], splits["test"], source="20newsgroups_bydate.csv: source_label, split")


def news_split(records: list[dict], test_share: float = NEWS_TEST_SHARE, seed: int = SEED) -> tuple[list[dict], list[dict]]:
    """Split news records 80/20 within each region (see the module docstring); keeps file order."""
    by_region: dict[str, list[str]] = {}
    for r in records:
        by_region.setdefault(r["region"], []).append(r["id"])
    rng = random.Random(seed)
    test_ids: set[str] = set()
    for region in sorted(by_region):
        ids = sorted(by_region[region])
        rng.shuffle(ids)
        test_ids.update(ids[: round(test_share * len(ids))])
    return [r for r in records if r["id"] not in test_ids], [r for r in records if r["id"] in test_ids]


def load_news(task: str, path: Path = NEWS_CORPUS) -> Corpus:
    """The project's news corpus for ``task`` ``"topic"`` (multi-label) or ``"region"`` (single)."""
    if task not in ("topic", "region"):
        raise ValueError(f"task must be 'topic' or 'region' (got {task!r})")
    with open(path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    ids = [r["id"] for r in records]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: ids are not unique, so the split is not well defined")
    train, test = news_split(records)

    def doc(r):
        labels = r[task] if isinstance(r[task], list) else [r[task]]
        return {"id": r["id"], "title": r["title"], "body": r.get("body") or "", "labels": list(labels)}

    kind, empty = ("multi", "other") if task == "topic" else ("single", None)
    source = f"{path.name}: {task}; seeded {1 - NEWS_TEST_SHARE:.0%}/{NEWS_TEST_SHARE:.0%} split stratified by region (seed {SEED})"
    return Corpus(f"news-{task}", kind, [doc(r) for r in train], [doc(r) for r in test], empty, source)


def load(name: str) -> Corpus:
    """Load corpus ``name`` (one of :data:`CORPORA`)."""
    if name == "r8":
        return load_reuters("r8_label")
    if name == "r52":
        return load_reuters("r52_label")
    if name == "20ng":
        return load_20ng()
    if name in ("news-topic", "news-region"):
        return load_news(name.split("-", 1)[1])
    raise ValueError(f"unknown corpus {name!r}; choose from {', '.join(CORPORA)}")


def load_jsonl(path: Path, label_field: str, test_share: float = 0.25, empty_label: str = "other") -> Corpus:
    """A corpus from one JSONL file of ``{"title", "body", <label_field>}``, with a seeded split.

    The corpus is multi-label when some label cell is a list (its empty label is ``empty_label``
    if that label occurs, else none), single-label otherwise. After a seeded shuffle, every
    ``round(1 / test_share)``-th document goes to the test set. Used for quick checks, e.g. the
    harness test on ``tests/data/tiny.jsonl``.
    """
    path = Path(path)
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    missing = [i + 1 for i, row in enumerate(rows) if label_field not in row]
    if missing:
        raise ValueError(f"{path}: line(s) {missing[:5]} have no {label_field!r} field")
    multi = any(isinstance(row[label_field], list) for row in rows)
    docs = [
        {
            "id": str(row.get("id", i)),
            "title": row.get("title") or "",
            "body": row.get("body") or "",
            "labels": list(row[label_field]) if isinstance(row[label_field], list) else [row[label_field]],
        }
        for i, row in enumerate(rows)
    ]
    order = list(range(len(docs)))
    random.Random(SEED).shuffle(order)
    test_idx = set(order[:: max(2, round(1 / test_share))])
    train = [d for i, d in enumerate(docs) if i not in test_idx]
    test = [d for i, d in enumerate(docs) if i in test_idx]
    empty = empty_label if multi and any(empty_label in d["labels"] for d in docs) else None
    name = f"{path.stem}-{label_field}"
    return Corpus(name, "multi" if multi else "single", train, test, empty, source=f"{path.name}: {label_field}, seeded split")


def subsample(corpus: Corpus, n_train: int, n_test: int, seed: int = SEED) -> Corpus:
    """A copy of ``corpus`` with at most ``n_train`` / ``n_test`` documents, drawn with a fixed seed."""
    rng = random.Random(seed)

    def take(docs, n):
        if len(docs) <= n:
            return list(docs)
        keep = set(rng.sample(range(len(docs)), n))
        return [d for i, d in enumerate(docs) if i in keep]

    notes = {**corpus.notes, "subsampled": {"n_train": n_train, "n_test": n_test, "seed": seed}}
    return Corpus(corpus.name, corpus.kind, take(corpus.train, n_train), take(corpus.test, n_test), corpus.empty_label, corpus.source, notes)


def write_split(corpus: Corpus, directory: Path) -> dict:
    """Write ``train.jsonl``, ``test.jsonl`` and ``corpus.json`` into ``directory``; returns the description.

    The training documents are written in a seeded random order (:data:`SEED`): the source files
    list 20 Newsgroups by newsgroup, and online learners (fastText, Vowpal Wabbit) that read a
    training set sorted by label forget the first labels (20 Newsgroups accuracy drops to ~20%).
    Every system gets the same order.
    """
    directory.mkdir(parents=True, exist_ok=True)
    train = list(corpus.train)
    random.Random(SEED).shuffle(train)
    for split, docs in (("train", train), ("test", corpus.test)):
        with open(directory / f"{split}.jsonl", "w", encoding="utf-8") as f:
            for doc in docs:
                f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    info = {"name": corpus.name, **corpus.describe(), "labels": corpus.labels}
    (directory / "corpus.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    return info


def read_split(directory: Path) -> tuple[dict, list[dict], list[dict]]:
    """What :func:`write_split` wrote: ``(info, train, test)``."""
    info = json.loads((directory / "corpus.json").read_text(encoding="utf-8"))
    splits = []
    for split in ("train", "test"):
        with open(directory / f"{split}.jsonl", encoding="utf-8") as f:
            splits.append([json.loads(line) for line in f])
    return info, splits[0], splits[1]
