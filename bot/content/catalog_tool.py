"""``python -m bot.content.catalog_tool update``: the merge step of ``make locales``.

A separate module (not ``python -m bot.content.catalogs``) because the package imports
``catalogs`` first, and running an already-imported module as ``__main__`` runs it twice.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.content.catalogs import update


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.content.catalog_tool")
    sub = parser.add_subparsers(dest="command", required=True)
    upd = sub.add_parser("update", help="merge the .pot into each language's .po (fuzzy by key)")
    upd.add_argument("--template", type=Path, required=True)
    upd.add_argument("--locales", type=Path, required=True)
    upd.add_argument("--languages", required=True, help="comma-separated, e.g. en,zu,af")
    upd.add_argument("--pot", type=Path, default=None,
                     help="the tracked template: replaced by --template only when a text changed")
    args = parser.parse_args(argv)
    return update(args.template, args.locales, [c.strip() for c in args.languages.split(",") if c.strip()],
                  pot_path=args.pot)


if __name__ == "__main__":
    sys.exit(main())
