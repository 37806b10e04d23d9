#!/usr/bin/env python3
"""Explain a prediction: a thin wrapper over ``newsclf explain`` (see ``newsclf explain --help``)."""

import sys

from newsclf.cli import main

if __name__ == "__main__":
    sys.exit(main(["explain", *sys.argv[1:]]))
