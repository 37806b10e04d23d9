#!/usr/bin/env python3
"""What each part of the default model's features is worth, by cross-validation on the corpus.

Trains the default model's configuration and variants that change one thing (title weight,
character n-grams, the country block, stemming, regularisation) on datasets/news_corpus.jsonl and
prints their 5-fold cross-validated topic micro-F1 / macro-F1 and region accuracy / macro-F1. The
dev set is not read unless ``--dev`` asks for it: the cross-validated numbers are the ones the
default's parameters were chosen on; ``--dev`` adds, for the record, each variant's dev-set topic
micro-F1 and region accuracy (e.g. what the country features add on real news).

    python scripts/ablation.py [--only default no_countries] [--dev]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import newsclf
from newsclf.corpus import read_corpus

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_default import CORPUS, PARAMS  # noqa: E402

VARIANTS = {
    "default": {},
    "title_weight=1": {"title_weight": 1.0},
    "title_weight=3": {"title_weight": 3.0},
    "no_chars": {"char_ngram_range": None},
    "no_countries": {"country_weight": 0.0},
    "no_stemming": {"stemming": False},
    "C=0.25": {"C": 0.25},
    "C=1": {"C": 1.0},
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--only", nargs="*", choices=list(VARIANTS), help="variants to run (default: all)")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--dev", action="store_true", help="also score each variant on ../shared/data/dev")
    args = parser.parse_args(argv)
    records = list(read_corpus(str(args.corpus), newsclf.DEFAULT_TASKS))
    results = {}
    print(f"{'variant':<16}{'topic micro':>12}{'topic macro':>12}{'region acc':>12}{'region macro':>13}{'seconds':>9}")
    for name in args.only or VARIANTS:
        start = time.perf_counter()
        model = newsclf.train(records, None, n_jobs=-1, **{**PARAMS, **VARIANTS[name]})
        s = model.card["cv_scores"]
        row = {
            "topic_micro_f1": s["topic"]["micro_f1"], "topic_macro_f1": s["topic"]["macro_f1"],
            "region_accuracy": s["region"]["accuracy"], "region_macro_f1": s["region"]["macro_f1"],
            "seconds": round(time.perf_counter() - start, 1),
        }  # fmt: skip
        if args.dev:
            from evaluate_dev import DEV, summarise

            dev = list(read_corpus(str(DEV), newsclf.DEFAULT_TASKS))
            scores = summarise(dev, [p.labels for p in model.predict([(r["title"], r["body"]) for r in dev])], ["all"] * len(dev))
            row["dev_topic_micro_f1"], row["dev_region_accuracy"] = scores["all"]["topic_micro_f1"], scores["all"]["region_accuracy"]
        results[name] = row
        dev_part = f"   dev: topic micro {row['dev_topic_micro_f1']:.4f}, region acc {row['dev_region_accuracy']:.4f}" if args.dev else ""
        print(f"{name:<16}{row['topic_micro_f1']:>12.4f}{row['topic_macro_f1']:>12.4f}{row['region_accuracy']:>12.4f}{row['region_macro_f1']:>13.4f}{row['seconds']:>9}{dev_part}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
