#!/usr/bin/env python3
"""Score the default model, and a fastText model trained on the same corpus, on ../shared/data/dev.

The dev set is real news labelled by the taxonomy, never used for training or tuning. For each
language and overall it reports topic micro-F1 and macro-F1 (every label, ``other`` included) and
region accuracy, for newsclf and — with ``--fasttext`` — for fastText supervised models (one per
task) trained in the same run on ``datasets/news_corpus.jsonl``, with the same tokenisation.

    python scripts/evaluate_dev.py                       # newsclf's bundled model
    python scripts/evaluate_dev.py --fasttext --json out/dev.json

fastText settings: 50 epochs, learning rate 0.5, word bigrams, dimension 100, min count 1, one-vs-all
loss for the multi-label topic (labels above probability 0.5, else ``other``) and softmax for the
region. The paper's defaults (5 epochs, lr 0.1) underfit a corpus of this size; these settings were
chosen by cross-validation on the training corpus (``--fasttext-search``), never on dev.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

import newsclf
from newsclf.corpus import read_corpus
from newsclf.evaluate import task_scores
from newsclf.schema import DEFAULT_TASKS
from newsclf.text import normalize, tokenize

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "data" / "dev" / "dev.csv"
CORPUS = ROOT / "datasets" / "news_corpus.jsonl"
TOPIC, REGION = DEFAULT_TASKS
FASTTEXT = {"epoch": 50, "lr": 0.5, "wordNgrams": 2, "dim": 100, "minCount": 1}


def summarise(truth: list[dict], predicted: list[dict], langs: list[str]) -> dict:
    """Topic micro/macro F1 and region accuracy, overall and per language."""
    groups = {"all": list(range(len(truth)))}
    for i, lang in enumerate(langs):
        groups.setdefault(lang, []).append(i)
    out = {}
    for name, rows in groups.items():
        topic = task_scores(TOPIC, [truth[i]["topic"] for i in rows], [predicted[i]["topic"] for i in rows])
        region = task_scores(REGION, [truth[i]["region"] for i in rows], [predicted[i]["region"] for i in rows])
        out[name] = {
            "n": len(rows),
            "topic_micro_f1": round(topic["micro_f1"], 4),
            "topic_macro_f1": round(topic["macro_f1"], 4),
            "region_accuracy": round(region["accuracy"], 4),
        }
    return out


def _ft_line(title: str, body: str) -> str:
    return " ".join(tokenize(normalize(f"{title} {body}"))) or "_"


def train_fasttext(records: list[dict], params: dict, workdir: Path):
    """One fastText model per task; returns predict([(title, body), ...]) -> [{task: labels}, ...]."""
    import fasttext

    models = {}
    for task, loss in (("topic", "ova"), ("region", "softmax")):
        path = workdir / f"{task}.txt"
        with open(path, "w", encoding="utf-8") as f:
            for r in records:
                labels = " ".join(f"__label__{label}" for label in r[task])
                f.write(f"{labels} {_ft_line(r['title'], r['body'])}\n")
        models[task] = fasttext.train_supervised(str(path), loss=loss, verbose=0, seed=0, thread=1, **params)

    def predict(docs: list[tuple[str, str]]) -> list[dict]:
        # Batch prediction (a list in, lists out), as a fastText user scoring many texts would.
        lines = [_ft_line(title, body) for title, body in docs]
        topic_labels, _ = models["topic"].predict(lines, k=-1, threshold=0.5)
        region_labels, _ = models["region"].predict(lines, k=1)
        out = []
        for labels, region in zip(topic_labels, region_labels):
            topic = tuple(sorted(lab.replace("__label__", "") for lab in labels)) or ("other",)
            if "other" in topic and len(topic) > 1:
                topic = tuple(t for t in topic if t != "other")
            out.append({"topic": topic, "region": (region[0].replace("__label__", ""),)})
        return out

    return predict


def fasttext_search(records: list[dict], workdir: Path) -> dict:
    """Pick fastText's epochs and learning rate by 3-fold cross-validation on the training corpus."""
    rng = random.Random(0)
    order = list(range(len(records)))
    rng.shuffle(order)
    folds = [order[k::3] for k in range(3)]
    results = {}
    for epoch in (25, 50):
        for lr in (0.3, 0.5, 1.0):
            scores = []
            for k in range(3):
                held = set(folds[k])
                train = [records[i] for i in order if i not in held]
                test = [records[i] for i in folds[k]]
                predict = train_fasttext(train, {**FASTTEXT, "epoch": epoch, "lr": lr}, workdir)
                pred = predict([(r["title"], r["body"]) for r in test])
                s = summarise(test, pred, ["all"] * len(test))["all"]
                scores.append(s["topic_micro_f1"] + s["region_accuracy"])
            results[(epoch, lr)] = sum(scores) / 3
            print(f"fastText epoch={epoch} lr={lr}: mean(topic micro-F1 + region acc) = {results[(epoch, lr)]:.4f}", file=sys.stderr)
    epoch, lr = max(results, key=results.get)
    return {**FASTTEXT, "epoch": epoch, "lr": lr}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model directory (default: the bundled model)")
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="training corpus for fastText")
    parser.add_argument("--fasttext", action="store_true", help="also train and score fastText")
    parser.add_argument("--fasttext-search", action="store_true", help="choose fastText's epochs/lr by CV on the corpus")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args(argv)
    if not args.dev.is_file():
        sys.exit(f"no dev set at {args.dev}")

    dev = list(read_corpus(str(args.dev), DEFAULT_TASKS, extra_columns=["lang"]))
    langs = [r["lang"] for r in dev]
    model = newsclf.load(args.model)
    start = time.perf_counter()
    predicted = [p.labels for p in model.predict([(r["title"], r["body"]) for r in dev])]
    results = {"newsclf": summarise(dev, predicted, langs), "newsclf_seconds": round(time.perf_counter() - start, 2)}

    if args.fasttext or args.fasttext_search:
        import fasttext

        corpus = list(read_corpus(str(args.corpus), DEFAULT_TASKS))
        with tempfile.TemporaryDirectory() as tmp:
            params = fasttext_search(corpus, Path(tmp)) if args.fasttext_search else dict(FASTTEXT)
            predict = train_fasttext(corpus, params, Path(tmp))
        ft_pred = predict([(r["title"], r["body"]) for r in dev])
        results["fasttext"] = summarise(dev, ft_pred, langs)
        results["fasttext_params"] = params
        results["fasttext_version"] = getattr(fasttext, "__version__", "unknown")

    results["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}
    results["command"] = "python scripts/evaluate_dev.py " + " ".join(argv if argv is not None else sys.argv[1:])
    systems = [s for s in ("newsclf", "fasttext") if s in results]
    print(f"{'system':<10}{'lang':<6}{'n':>6}{'topic micro-F1':>16}{'topic macro-F1':>16}{'region acc':>12}")
    for system in systems:
        for lang, s in results[system].items():
            print(f"{system:<10}{lang:<6}{s['n']:>6}{s['topic_micro_f1']:>16.3f}{s['topic_macro_f1']:>16.3f}{s['region_accuracy']:>12.3f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
