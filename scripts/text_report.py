#!/usr/bin/env python3
"""The text pipeline in numbers: language-guess accuracy, and where the time goes.

- Language guess: accuracy of :func:`newsclf.text.detect_language` per language on the dev set
  (../shared/data/dev, real news, its ``lang`` column), on title+body and on the title alone, and
  on the project's corpus.
- Time per stage over every document of the corpus (median of ``--repeats`` passes): NFKC
  normalisation, tokenisation, language guess, stop-word removal with stemming on a cold cache
  (first pass) and warm cache, and the whole feature transform of the bundled model for comparison.

    python scripts/text_report.py [--json out.json]
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import sys
import time
from pathlib import Path

import newsclf
from newsclf import text
from newsclf.corpus import read_corpus
from newsclf.document import as_documents

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "data" / "dev" / "dev.csv"
CORPUS = ROOT / "datasets" / "news_corpus.jsonl"


def language_accuracy(records: list[dict]) -> dict:
    out = {}
    for field in ("title+body", "title"):
        hits, totals = collections.Counter(), collections.Counter()
        for r in records:
            raw = r["title"] if field == "title" else f"{r['title']}\n{r['body']}"
            if not raw.strip():
                continue
            totals[r["lang"]] += 1
            hits[r["lang"]] += text.detect_language(text.normalize(raw)) == r["lang"]
        out[field] = {lang: round(hits[lang] / totals[lang], 4) for lang in sorted(totals)}
        out[field]["all"] = round(sum(hits.values()) / sum(totals.values()), 4)
    return out


def _time(fn, repeats: int) -> float:
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def stage_times(records: list[dict], repeats: int) -> dict:
    raw = [f"{r['title']}\n{r['body']}" for r in records]
    normalized = [text.normalize(t) for t in raw]
    tokens = [text.tokenize(t) for t in normalized]
    langs = [text.detect_language(n, t) for n, t in zip(normalized, tokens)]
    text._STEM_CACHE.update({lang: {} for lang in text.LANGUAGES})
    start = time.perf_counter()
    for t, lang in zip(tokens, langs):
        text.filter_and_stem(t, lang)
    cold = time.perf_counter() - start
    model = newsclf.load()
    docs = as_documents([(r["title"], r["body"]) for r in records])
    out = {
        "documents": len(records),
        "normalize_s": _time(lambda: [text.normalize(t) for t in raw], repeats),
        "tokenize_s": _time(lambda: [text.tokenize(t) for t in normalized], repeats),
        "detect_language_s": _time(lambda: [text.detect_language(n, t) for n, t in zip(normalized, tokens)], repeats),
        "stop_words_and_stem_cold_cache_s": cold,
        "stop_words_and_stem_warm_cache_s": _time(lambda: [text.filter_and_stem(t, g) for t, g in zip(tokens, langs)], repeats),
        "whole_feature_transform_s": _time(lambda: model.estimator.featurizer_.transform(docs), repeats),
    }
    out = {k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}
    out["stem_share_of_transform_warm"] = round(out["stop_words_and_stem_warm_cache_s"] / out["whole_feature_transform_s"], 3)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    with open(CORPUS, encoding="utf-8") as f:
        corpus = [json.loads(line) for line in f]
    result = {"language_accuracy_corpus": language_accuracy(corpus)}
    if DEV.is_file():
        dev = list(read_corpus(str(DEV), newsclf.DEFAULT_TASKS, extra_columns=["lang"]))
        result["language_accuracy_dev"] = language_accuracy(dev)
    result["stage_times"] = stage_times(corpus, args.repeats)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
