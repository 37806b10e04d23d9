#!/usr/bin/env python3
"""Agreement between the corpus labels and a second, blind labelling of a random sample.

Reads the corpus (datasets/news_corpus.jsonl) and the second labeller's file (JSONL lines
``{"id", "topic": [...], "region"}``), and reports for the items both labelled:

- topic: share of identical label sets, and per label the agreement and Cohen's kappa;
- region: share of identical labels and Cohen's kappa.

With ``--write`` it also writes datasets/second_labelling.csv: every sampled item with both
labellings and the final labels — the corpus labels where the two agree, and where they disagree
the resolution given in ``--resolutions`` (a CSV ``id,final_topic,final_region,note``).

    python scripts/label_agreement.py SECOND.jsonl [--resolutions R.csv] [--write]
    python scripts/label_agreement.py datasets/independent_labelling_half_b.jsonl --writers

``--writers`` compares with the writers' original labels kept in datasets/second_labelling.csv
(before any resolution), which is the fair baseline for a further independent labeller.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "datasets" / "news_corpus.jsonl"
OUTPUT = ROOT / "datasets" / "second_labelling.csv"
TOPICS = ("diplomacy", "military", "economy", "other")


def kappa(a: list, b: list) -> float:
    """Cohen's kappa of two labellings of the same items."""
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = collections.Counter(a), collections.Counter(b)
    expected = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def agreement(first: dict, second: dict) -> dict:
    ids = sorted(set(first) & set(second))
    out = {"items": len(ids)}
    t1 = [tuple(sorted(first[i]["topic"])) for i in ids]
    t2 = [tuple(sorted(second[i]["topic"])) for i in ids]
    out["topic_exact"] = round(sum(a == b for a, b in zip(t1, t2)) / len(ids), 4)
    out["topic_labels"] = {}
    for label in TOPICS:
        a, b = [label in x for x in t1], [label in x for x in t2]
        out["topic_labels"][label] = {
            "agreement": round(sum(x == y for x, y in zip(a, b)) / len(ids), 4),
            "kappa": round(kappa(a, b), 4),
        }
    r1, r2 = [first[i]["region"] for i in ids], [second[i]["region"] for i in ids]
    out["region_exact"] = round(sum(a == b for a, b in zip(r1, r2)) / len(ids), 4)
    out["region_kappa"] = round(kappa(r1, r2), 4)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("second", type=Path, nargs="+", help="the second labelling (JSONL), possibly in parts")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--resolutions", type=Path, help="CSV id,final_topic,final_region,note for disagreements")
    parser.add_argument("--write", action="store_true", help=f"write {OUTPUT.relative_to(ROOT)}")
    parser.add_argument("--writers", action="store_true", help=f"compare with the writers' labels in {OUTPUT.name}")
    args = parser.parse_args(argv)
    if args.writers:
        if args.write:
            parser.error("--writers only reports; it cannot be combined with --write")
        with open(OUTPUT, encoding="utf-8", newline="") as f:
            first = {r["id"]: {"topic": r["first_topic"].split("|"), "region": r["first_region"]} for r in csv.DictReader(f)}
    else:
        with open(args.corpus, encoding="utf-8") as f:
            first = {item["id"]: item for item in map(json.loads, f)}
    second = {}
    for path in args.second:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    second[row["id"]] = row
    missing = sorted(set(second) - set(first))
    if missing:
        print(f"{len(missing)} labelled ids are not in the corpus (dropped as near-duplicates?): {missing[:5]}", file=sys.stderr)
    result = agreement(first, second)
    print(json.dumps(result, indent=2))
    if args.write:
        resolutions = {}
        if args.resolutions:
            with open(args.resolutions, encoding="utf-8", newline="") as f:
                resolutions = {row["id"]: row for row in csv.DictReader(f)}
        ids = sorted(set(first) & set(second))
        unresolved = 0
        with open(OUTPUT, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(["id", "first_topic", "first_region", "second_topic", "second_region", "final_topic", "final_region", "note"])
            for i in ids:
                a, b = first[i], second[i]
                t1, t2 = "|".join(sorted(a["topic"])), "|".join(sorted(b["topic"]))
                if (t1, a["region"]) == (t2, b["region"]):
                    final = (t1, a["region"], "agreed")
                elif i in resolutions:
                    r = resolutions[i]
                    final = (r["final_topic"], r["final_region"], r["note"])
                else:
                    unresolved += 1
                    final = (t1, a["region"], "unresolved: corpus label kept")
                writer.writerow([i, t1, a["region"], t2, b["region"], *final])
        print(f"wrote {OUTPUT} ({len(ids)} items, {unresolved} disagreements unresolved)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
