#!/usr/bin/env python3
"""Tune and train a model: a thin wrapper over ``newsclf tune`` (see ``newsclf tune --help``)."""

import sys

from newsclf.cli import main

if __name__ == "__main__":
    sys.exit(main(["tune", *sys.argv[1:]]))
