#!/usr/bin/env python3
"""Label texts: a thin wrapper over ``newsclf predict`` (see ``newsclf predict --help``)."""

import sys

from newsclf.cli import main

if __name__ == "__main__":
    sys.exit(main(["predict", *sys.argv[1:]]))
