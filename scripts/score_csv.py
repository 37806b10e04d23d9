#!/usr/bin/env python3
"""Score a CSV/TSV/JSONL file: a thin wrapper over ``newsclf score`` (see ``newsclf score --help``)."""

import sys

from newsclf.cli import main

if __name__ == "__main__":
    sys.exit(main(["score", *sys.argv[1:]]))
