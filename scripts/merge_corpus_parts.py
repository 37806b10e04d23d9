#!/usr/bin/env python3
"""Merge the corpus parts written for the project into datasets/news_corpus.jsonl.

The corpus was written in batches of 50 items (JSONL) by writers working in parallel, each on a
language and a set of regions (see datasets/README.md). This script validates every item against
the taxonomy, drops near-duplicates across batches (the later item of each pair, by id), applies the
label resolutions of the second labelling (datasets/second_labelling.csv, when present), and writes
the corpus sorted by id.

    python scripts/merge_corpus_parts.py PARTS_DIR... -o datasets/news_corpus.jsonl
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_stats import near_duplicate_pairs, stats  # noqa: E402

from newsclf.schema import DEFAULT_TASKS  # noqa: E402

FIELDS = ("id", "lang", "title", "body", "topic", "region", "countries", "style", "year")
RESOLUTIONS = Path(__file__).resolve().parents[1] / "datasets" / "second_labelling.csv"


def load_parts(dirs: list[Path]) -> list[dict]:
    items = []
    for d in dirs:
        for path in sorted(d.glob("*.jsonl")):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        item = json.loads(line)
                        items.append({k: item[k] for k in FIELDS})
    return items


def validate(item: dict) -> dict:
    topic, region = DEFAULT_TASKS
    item["topic"] = list(topic.parse(item["topic"]))
    item["region"] = region.parse(item["region"])[0]
    item["title"], item["body"] = item["title"].strip(), item["body"].strip()
    return item


def apply_resolutions(items: list[dict], path: Path) -> int:
    if not path.is_file():
        return 0
    by_id = {item["id"]: item for item in items}
    changed = 0
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            item = by_id.get(row["id"])
            if item is None:
                continue
            topic, region = sorted(row["final_topic"].split("|")), row["final_region"]
            if (topic, region) != (item["topic"], item["region"]):
                item["topic"], item["region"] = topic, region
                changed += 1
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="+", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    items = sorted((validate(i) for i in load_parts(args.parts)), key=lambda i: i["id"])
    ids = [i["id"] for i in items]
    if len(set(ids)) != len(ids):
        sys.exit("duplicate ids in the parts")
    pairs = near_duplicate_pairs([f"{i['title']} {i['body']}" for i in items])
    drop = {b for _, b in pairs}
    titles_seen, kept = set(), []
    for n, item in enumerate(items):
        key = item["title"].casefold() or item["body"].casefold()
        if n in drop or key in titles_seen:
            continue
        titles_seen.add(key)
        kept.append(item)
    changed = apply_resolutions(kept, RESOLUTIONS)
    with open(args.output, "w", encoding="utf-8") as f:
        for item in kept:
            f.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(f"{len(items)} items read, {len(items) - len(kept)} near-duplicates dropped, {changed} relabelled", file=sys.stderr)
    print(json.dumps(stats(kept), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
