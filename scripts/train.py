#!/usr/bin/env python3
"""Train a model: a thin wrapper over ``newsclf train`` (see ``newsclf train --help``)."""

import sys

from newsclf.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
