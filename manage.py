#!/usr/bin/env python
"""Django's command-line utility; `sinergi` does the same once installed."""

from sinergi.cli import main

if __name__ == "__main__":
    main()
