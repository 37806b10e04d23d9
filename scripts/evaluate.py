#!/usr/bin/env python3
"""Score a model on labelled corpora: a thin wrapper over ``newsclf evaluate`` (see its ``--help``)."""

import sys

from newsclf.cli import main

if __name__ == "__main__":
    sys.exit(main(["evaluate", *sys.argv[1:]]))
