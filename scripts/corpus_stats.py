#!/usr/bin/env python3
"""Counts and the near-duplicate rate of a newsclf corpus (JSONL with topic/region/lang/style).

Near-duplicates: two items whose texts share at least half of the word 5-grams of the shorter one.
The rate is the share of items that have such a partner.

    python scripts/corpus_stats.py datasets/news_corpus.jsonl [--json out.json]
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path

_WORD = re.compile(r"\w+")


def shingles(text: str, n: int = 5) -> set:
    words = _WORD.findall(text.casefold())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def near_duplicate_pairs(texts: list[str], share: float = 0.5, n: int = 5) -> list[tuple[int, int]]:
    """Index pairs (i < j) of texts sharing at least ``share`` of the shorter one's word n-grams."""
    sets = [shingles(t, n) for t in texts]
    index = collections.defaultdict(list)
    for i, s in enumerate(sets):
        for gram in s:
            index[gram].append(i)
    shared = collections.Counter()
    for ids in index.values():
        if 1 < len(ids) <= 200:  # a 5-gram in hundreds of items is a stock phrase, not a copy
            for a in range(len(ids)):
                for b in range(a + 1, len(ids)):
                    shared[ids[a], ids[b]] += 1
    return sorted(
        (a, b) for (a, b), k in shared.items() if k >= share * max(1, min(len(sets[a]), len(sets[b])))
    )


def stats(items: list[dict]) -> dict:
    topics = collections.Counter(t for d in items for t in d["topic"])
    pairs = near_duplicate_pairs([f"{d['title']} {d['body']}" for d in items])
    with_partner = {i for pair in pairs for i in pair}
    return {
        "items": len(items),
        "languages": dict(collections.Counter(d["lang"] for d in items).most_common()),
        "topics": dict(topics.most_common()),
        "topic_sets": dict(collections.Counter("|".join(d["topic"]) for d in items).most_common()),
        "topics_per_item": dict(sorted(collections.Counter(len(d["topic"]) for d in items).items())),
        "regions": dict(collections.Counter(d["region"] for d in items).most_common()),
        "styles": dict(collections.Counter(d["style"] for d in items).most_common()),
        "with_body": sum(bool(d["body"].strip()) for d in items),
        "headline_only": sum(not d["body"].strip() for d in items),
        "years": {f"{y}s": n for y, n in sorted(collections.Counter(d["year"] // 10 * 10 for d in items).items())},
        "near_duplicate_pairs": len(pairs),
        "near_duplicate_rate": round(len(with_partner) / max(1, len(items)), 5),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    with open(args.corpus, encoding="utf-8") as f:
        items = [json.loads(line) for line in f if line.strip()]
    result = stats(items)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
