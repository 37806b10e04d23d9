#!/usr/bin/env python3
"""Check a folder of corpus batches (JSONL files) before they are merged into the news corpus.

Every item must have exactly the corpus fields (see datasets/README.md), labels of the taxonomy
(``other`` never with another topic, one region), a known style, a year in 1996-2026, ISO codes
that the package's region table knows, and some text. Near-duplicates (two texts sharing at least
half of the shorter one's word 5-grams) are reported inside the folder and against the corpus.
Prints the counts of the folder and every problem; exits 1 when there is one.

    python scripts/check_corpus_batch.py BATCH_DIR [--corpus datasets/news_corpus.jsonl]
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_stats import near_duplicate_pairs  # noqa: E402
from merge_corpus_parts import FIELDS  # noqa: E402

from newsclf.countries import regions  # noqa: E402
from newsclf.errors import LabelError  # noqa: E402
from newsclf.schema import DEFAULT_TASKS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STYLES = {"wire", "broadsheet", "tabloid", "regional", "business", "caps_wire", "dateline", "headline_only", "social", "long"}
LANGUAGES = {"en", "es", "pt", "fr"}


def problems_of(item: dict) -> list[str]:
    """What is wrong with one item (an empty list when nothing is)."""
    if set(item) != set(FIELDS):
        return [f"fields differ from the corpus's: {sorted(set(item) ^ set(FIELDS))}"]
    found = []
    topic, region = DEFAULT_TASKS
    if not isinstance(item["topic"], list) or len(set(item["topic"])) != len(item["topic"]):
        found.append(f"topic must be a list without repeats (got {item['topic']!r})")
    for task, value in ((topic, item["topic"]), (region, item["region"])):
        try:
            task.parse(value)
        except LabelError as exc:
            found.append(str(exc))
    if item["style"] not in STYLES:
        found.append(f"unknown style {item['style']!r}")
    if item["lang"] not in LANGUAGES:
        found.append(f"unknown language {item['lang']!r}")
    if not isinstance(item["year"], int) or not 1996 <= item["year"] <= 2026:
        found.append(f"year out of 1996-2026: {item['year']!r}")
    unknown = [code for code in item["countries"] if code not in regions()]
    if unknown:
        found.append(f"unknown country codes {unknown}")
    if not (str(item["title"]).strip() or str(item["body"]).strip()):
        found.append("no text")
    return found


def _text(item: dict) -> str:
    return f"{item['title']} {item['body']}"


def check(folder: Path, corpus: Path | None) -> tuple[list[dict], list[str]]:
    """The folder's items and the problems found, each naming a file and line or the items involved."""
    items, problems = [], []
    for path in sorted(folder.glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                except json.JSONDecodeError as exc:
                    problems.append(f"{path.name}:{number}: not valid JSON: {exc.msg}")
                    continue
                found = problems_of(item) if isinstance(item, dict) else ["not a JSON object"]
                problems += [f"{path.name}:{number}: {p}" for p in found]
                if not found:
                    items.append(item)
    ids = collections.Counter(item["id"] for item in items)
    problems += [f"id {i} is used {n} times" for i, n in ids.items() if n > 1]
    texts = [_text(item) for item in items]
    problems += [f"near-duplicates: {items[a]['id']} ~ {items[b]['id']}" for a, b in near_duplicate_pairs(texts)]
    if corpus is not None and corpus.is_file():
        with open(corpus, encoding="utf-8") as f:
            existing = [json.loads(line) for line in f if line.strip()]
        pairs = near_duplicate_pairs(texts + [_text(item) for item in existing])
        problems += [
            f"near-duplicate of corpus item {existing[b - len(texts)]['id']}: {items[a]['id']}"
            for a, b in pairs
            if a < len(texts) <= b
        ]
    return items, problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder of *.jsonl batches")
    parser.add_argument("--corpus", type=Path, default=ROOT / "datasets" / "news_corpus.jsonl",
                        help="corpus to compare with for near-duplicates (default: the project's)")  # fmt: skip
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        parser.error(f"no folder {args.folder}")
    items, problems = check(args.folder, args.corpus)
    counts = {
        "items": len(items),
        **{key: dict(collections.Counter(item[key] for item in items).most_common()) for key in ("lang", "region", "style")},
        "topics": dict(collections.Counter(t for item in items for t in item["topic"]).most_common()),
        "topics_per_item": dict(sorted(collections.Counter(len(item["topic"]) for item in items).items())),
    }
    print(json.dumps(counts, ensure_ascii=False, indent=1))
    print(f"problems: {len(problems)}")
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
