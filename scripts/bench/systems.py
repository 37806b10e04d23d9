"""The systems the benchmark compares, each as train / load / predict / predict_one.

Every system is a small class: ``train(docs, info, model_dir, scratch)`` trains on documents from
:mod:`corpora` (raw strings in, so text processing is part of training) and saves the model in
``model_dir``; ``load(model_dir)`` reads it back; ``predict(model, docs)`` returns one list of
labels per document and ``predict_one(model, doc)`` the labels of one document. Each imports its
library only when used, so a worker process holds only the library it measures.

Settings (the peers' epochs, learning rates, passes and C values were chosen once for all corpora
by ``python scripts/bench/tune.py``, on a validation split of each training set, never on a test
set; its results are in ``docs/bench_tuning.json``):

``newsclf``, ``newsclf-<preset>``
    ``newsclf.train`` with the library's defaults (preset ``default``) or the parameters of a
    :data:`PRESETS` entry; ``n_jobs`` is the harness's ``--threads``. Saved with ``Model.save``,
    reloaded with ``newsclf.load``; documents go in as ``{"title", "body"}``.
``fasttext-uni``, ``fasttext-bi``
    fastText supervised, word unigrams or uni+bigrams (``wordNgrams=2``), :data:`FASTTEXT` and
    :data:`FASTTEXT_TUNED`; softmax for a single-label corpus, one-vs-all with a 0.5 probability threshold for a
    multi-label one. Text: lower-cased, words and punctuation split apart (:func:`tokens`).
``vw``
    Vowpal Wabbit ``--oaa K`` (single-label) or ``--multilabel_oaa K`` (multi-label; a label is
    predicted when its logistic score is positive, i.e. its probability is above 0.5), word
    unigrams and bigrams (``--ngram 2``), :data:`VW` passes over a cache. Same tokens as fastText.
``sklearn-lr``, ``sklearn-svm``
    ``TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)`` then one-vs-rest
    ``LogisticRegression(solver="liblinear")`` or ``LinearSVC`` (in ``OneVsRestClassifier`` for a
    multi-label corpus), saved with joblib.

A multi-label peer decides each label on its own and then applies newsclf's empty-label rule
(:func:`decode_multi`): the empty label (``other``) is dropped when another label is predicted,
and predicted alone when nothing is.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from corpora import document_text

#: Parameter sets of newsclf to benchmark, by name: ``default`` is the library's defaults; the
#: system of preset ``p`` is called ``newsclf-p`` (``newsclf`` for ``default``).
PRESETS: dict[str, dict] = {
    "default": {},
}

#: fastText settings shared by both fastText systems.
FASTTEXT = {"dim": 100, "minCount": 1}
#: Per-system fastText settings chosen by tune.py (docs/bench_tuning.json): 50 epochs, where the
#: paper's 5 underfit corpora of a few thousand documents; lr 0.5 for unigrams, 1.0 with bigrams.
FASTTEXT_TUNED = {
    "fasttext-uni": {"epoch": 50, "lr": 0.5},
    "fasttext-bi": {"epoch": 50, "lr": 1.0, "bucket": 200_000},
}
#: Vowpal Wabbit settings (passes, bits and loss chosen by tune.py).
VW = {"passes": 5, "bits": 20, "loss_function": "squared"}
#: Inverse regularisation of the scikit-learn models (chosen by tune.py).
SKLEARN_C = {"sklearn-lr": 100.0, "sklearn-svm": 3.0}

_TOKEN = re.compile(r"\w+|[^\w\s]")


def tokens(text: str) -> list[str]:
    """Lower-cased words and punctuation marks of ``text``, as fastText's docs advise preparing text.

    >>> tokens("Oil rises, OPEC+ says.")
    ['oil', 'rises', ',', 'opec', '+', 'says', '.']
    """
    return _TOKEN.findall(text.lower())


def decode_multi(candidates, empty: str | None) -> list[str]:
    """Apply the empty-label rule to the labels a multi-label peer picked, sorted.

    >>> decode_multi(["other", "economy"], "other"), decode_multi([], "other")
    (['economy'], ['other'])
    """
    labels = sorted(set(candidates))
    if empty is not None:
        others = [label for label in labels if label != empty]
        return others if others else [empty]
    return labels


def _check_labels(labels: list[str]) -> None:
    bad = [label for label in labels if not label or any(c.isspace() for c in label)]
    if bad:
        raise ValueError(f"labels must be non-empty and without whitespace for fastText/VW (got {bad[:3]!r})")


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


class NewsclfSystem:
    """newsclf with the parameters of one preset."""

    library = "newsclf"

    def __init__(self, preset: str = "default", threads: int = 1):
        if preset not in PRESETS:
            raise ValueError(f"preset must be one of {', '.join(PRESETS)} (got {preset!r})")
        self.preset, self.threads = preset, threads
        self.params = dict(PRESETS[preset])
        self.name = "newsclf" if preset == "default" else f"newsclf-{preset}"

    def describe(self) -> dict:
        return {"library": self.library, "preset": self.preset, "params": self.params or "library defaults", "n_jobs": self.threads}

    @staticmethod
    def _spec(info: dict) -> str:
        if info["kind"] == "single":
            return "single"
        return f"multi:{info['empty_label'] or ''}"

    def train(self, docs: list[dict], info: dict, model_dir: Path, scratch: Path) -> None:
        import newsclf

        multi = info["kind"] == "multi"
        records = [
            {"title": d["title"], "body": d["body"], "label": d["labels"] if multi else d["labels"][0]} for d in docs
        ]
        params = {"n_jobs": self.threads, **self.params}
        model = newsclf.train(records, tasks={"label": self._spec(info)}, **params)
        model.save(model_dir)

    def load(self, model_dir: Path):
        import newsclf

        return newsclf.load(model_dir)

    def predict(self, model, docs: list[dict]) -> list[list[str]]:
        preds = model.predict([{"title": d["title"], "body": d["body"]} for d in docs], n_jobs=self.threads)
        return [sorted(p.labels["label"]) for p in preds]

    def predict_one(self, model, doc: dict) -> list[str]:
        return sorted(model.predict_one(doc["title"], body=doc["body"]).labels["label"])


class FastTextSystem:
    """fastText supervised with word unigrams (``ngrams=1``) or uni+bigrams (``ngrams=2``)."""

    library = "fasttext"

    def __init__(self, ngrams: int, threads: int = 1, **params):
        self.name = "fasttext-uni" if ngrams == 1 else "fasttext-bi"
        self.threads = threads
        self.params = {**FASTTEXT, **FASTTEXT_TUNED[self.name], "wordNgrams": ngrams, **params}

    def describe(self) -> dict:
        return {"library": self.library, "params": {**self.params, "thread": self.threads, "seed": 0}, "threshold_multi": 0.5}

    @staticmethod
    def _line(doc: dict) -> str:
        return " ".join(tokens(document_text(doc)))

    def train(self, docs: list[dict], info: dict, model_dir: Path, scratch: Path) -> None:
        import fasttext

        _check_labels(info["labels"])
        data = scratch / "train.txt"
        with open(data, "w", encoding="utf-8") as f:
            for doc in docs:
                f.write(" ".join(f"__label__{label}" for label in doc["labels"]) + " " + self._line(doc) + "\n")
        loss = "ova" if info["kind"] == "multi" else "softmax"
        model = fasttext.train_supervised(str(data), loss=loss, thread=self.threads, seed=0, verbose=0, **self.params)
        model.save_model(str(model_dir / "model.bin"))
        data.unlink()
        (model_dir / "info.json").write_text(json.dumps({"kind": info["kind"], "empty_label": info["empty_label"]}))

    def load(self, model_dir: Path):
        import fasttext

        info = json.loads((model_dir / "info.json").read_text())
        return fasttext.load_model(str(model_dir / "model.bin")), info

    def _decode(self, labels, info) -> list[str]:
        names = [label[len("__label__") :] for label in labels]
        if info["kind"] == "multi":
            return decode_multi(names, info["empty_label"])
        return names[:1]

    def predict(self, model, docs: list[dict]) -> list[list[str]]:
        ft, info = model
        lines = [self._line(doc) for doc in docs]
        if info["kind"] == "multi":
            labels, _ = ft.predict(lines, k=-1, threshold=0.5)
        else:
            labels, _ = ft.predict(lines, k=1)
        return [self._decode(row, info) for row in labels]

    def predict_one(self, model, doc: dict) -> list[str]:
        # A one-element list: fastText 0.9.3's single-string path fails under NumPy 2 (np.array(copy=False)).
        return self.predict(model, [doc])[0]


class VowpalWabbitSystem:
    """Vowpal Wabbit one-against-all (or multilabel one-against-all) on word uni- and bigrams."""

    library = "vowpalwabbit"
    name = "vw"

    def __init__(self, threads: int = 1, **params):
        self.params = {**VW, **params}

    def describe(self) -> dict:
        p = self.params
        return {
            "library": self.library,
            "args": f"--oaa K | --multilabel_oaa K, --ngram 2 -b {p['bits']} --passes {p['passes']} --cache_file "
            f"--holdout_off --loss_function {p['loss_function']}",
        }

    @staticmethod
    def _features(doc: dict) -> str:
        return " ".join(t for t in tokens(document_text(doc)) if t not in (":", "|"))

    def train(self, docs: list[dict], info: dict, model_dir: Path, scratch: Path) -> None:
        from vowpalwabbit import Workspace

        labels = info["labels"]
        multi = info["kind"] == "multi"
        # --oaa numbers labels 1..K, --multilabel_oaa 0..K-1.
        index = {label: i if multi else i + 1 for i, label in enumerate(labels)}
        data = scratch / "train.vw"
        with open(data, "w", encoding="utf-8") as f:
            for doc in docs:
                target = ",".join(str(index[label]) for label in doc["labels"])
                f.write(f"{target} |w {self._features(doc)}\n")
        p = self.params
        args = [
            "--multilabel_oaa" if multi else "--oaa", str(len(labels)), "--ngram", "2", "-b", str(p["bits"]),
            "--loss_function", p["loss_function"], "--passes", str(p["passes"]), "--holdout_off",
            "--cache_file", str(scratch / "train.cache"), "-k", "-d", str(data), "-f", str(model_dir / "model.vw"),
            "--quiet",
        ]  # fmt: skip
        vw = Workspace(arg_list=args)
        vw.finish()
        data.unlink()
        (scratch / "train.cache").unlink(missing_ok=True)
        (model_dir / "info.json").write_text(json.dumps({"kind": info["kind"], "empty_label": info["empty_label"], "labels": labels}))

    def load(self, model_dir: Path):
        from vowpalwabbit import Workspace

        info = json.loads((model_dir / "info.json").read_text())
        return Workspace(arg_list=["-i", str(model_dir / "model.vw"), "-t", "--quiet"]), info

    def predict_one(self, model, doc: dict) -> list[str]:
        vw, info = model
        pred = vw.predict(f" |w {self._features(doc)}")
        labels = info["labels"]
        if info["kind"] == "multi":
            return decode_multi([labels[i] for i in pred], info["empty_label"])
        return [labels[int(pred) - 1]]

    def predict(self, model, docs: list[dict]) -> list[list[str]]:
        return [self.predict_one(model, doc) for doc in docs]


class SklearnSystem:
    """TF-IDF word 1-2 grams with LogisticRegression (``kind="lr"``) or LinearSVC (``"svm"``)."""

    library = "scikit-learn"

    def __init__(self, kind: str, threads: int = 1, C: float | None = None):
        if kind not in ("lr", "svm"):
            raise ValueError(f"kind must be 'lr' or 'svm' (got {kind!r})")
        self.kind, self.threads = kind, threads
        self.name = f"sklearn-{kind}"
        self.C = SKLEARN_C[self.name] if C is None else C

    def describe(self) -> dict:
        if self.kind == "lr":
            clf = f"OneVsRestClassifier(LogisticRegression(C={self.C}, solver='liblinear'), n_jobs={self.threads})"
        else:
            clf = f"LinearSVC(C={self.C}) (one-vs-rest; OneVsRestClassifier(n_jobs={self.threads}) when multi-label)"
        return {"library": self.library, "pipeline": f"TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True) + {clf}"}

    def _classifier(self, multi: bool):
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.svm import LinearSVC

        if self.kind == "svm" and not multi:
            return LinearSVC(C=self.C)  # one-vs-rest by itself
        # liblinear is one-vs-rest; lbfgs (the default solver, multinomial) was ~10x slower for the
        # same validation accuracy on R8, see docs/benchmarks.md.
        base = LogisticRegression(C=self.C, solver="liblinear") if self.kind == "lr" else LinearSVC(C=self.C)
        return OneVsRestClassifier(base, n_jobs=self.threads)

    def train(self, docs: list[dict], info: dict, model_dir: Path, scratch: Path) -> None:
        import joblib
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import MultiLabelBinarizer

        multi = info["kind"] == "multi"
        texts = [document_text(doc) for doc in docs]
        if multi:
            y = MultiLabelBinarizer(classes=info["labels"]).fit_transform([doc["labels"] for doc in docs])
        else:
            y = [doc["labels"][0] for doc in docs]
        pipeline = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), self._classifier(multi))
        pipeline.fit(texts, y)
        joblib.dump({"pipeline": pipeline, "kind": info["kind"], "labels": info["labels"], "empty_label": info["empty_label"]},
                    model_dir / "model.joblib")  # fmt: skip

    def load(self, model_dir: Path):
        import joblib

        return joblib.load(model_dir / "model.joblib")

    def _decode(self, model, raw) -> list[list[str]]:
        if model["kind"] == "multi":
            labels = model["labels"]
            return [decode_multi([labels[j] for j in row.nonzero()[0]], model["empty_label"]) for row in raw]
        return [[str(label)] for label in raw]

    def predict(self, model, docs: list[dict]) -> list[list[str]]:
        return self._decode(model, model["pipeline"].predict([document_text(doc) for doc in docs]))

    def predict_one(self, model, doc: dict) -> list[str]:
        return self.predict(model, [doc])[0]


def _registry(threads: int) -> dict:
    systems = {}
    for preset in PRESETS:
        s = NewsclfSystem(preset, threads)
        systems[s.name] = s
    for s in (FastTextSystem(1, threads), FastTextSystem(2, threads), VowpalWabbitSystem(threads),
              SklearnSystem("lr", threads), SklearnSystem("svm", threads)):  # fmt: skip
        systems[s.name] = s
    return systems


def names() -> list[str]:
    """Every system's name, in the order the tables list them."""
    return list(_registry(1))


def get(name: str, threads: int = 1):
    """The system called ``name``, using ``threads`` threads or processes where it can."""
    systems = _registry(threads)
    if name not in systems:
        raise ValueError(f"unknown system {name!r}; choose from {', '.join(systems)}")
    return systems[name]


def expand(selection: str) -> list[str]:
    """System names from a comma-separated selection; a prefix such as ``fasttext`` selects a family.

    >>> expand("fasttext,sklearn-lr")
    ['fasttext-uni', 'fasttext-bi', 'sklearn-lr']
    """
    known = names()
    chosen: list[str] = []
    for item in (s.strip() for s in selection.split(",")):
        if not item:
            continue
        matches = [item] if item in known else [n for n in known if n.startswith(item + "-")]
        if not matches:
            raise ValueError(f"unknown system {item!r}; choose from {', '.join(known)} (or a family: newsclf, fasttext, sklearn)")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def clear_dir(path: Path) -> None:
    """Remove ``path`` if it exists and create it empty."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


def model_bytes(path: Path) -> int:
    """Bytes on disk of every file under the model directory ``path``."""
    return _dir_bytes(path)


def available(name: str) -> bool:
    """Whether the library of system ``name`` can be imported here."""
    import importlib.util

    module = {"newsclf": "newsclf", "fasttext": "fasttext", "vowpalwabbit": "vowpalwabbit", "scikit-learn": "sklearn"}
    return importlib.util.find_spec(module[get(name).library]) is not None

