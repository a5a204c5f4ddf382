"""Babel extractor for content YAML: ``pybabel extract -F locales/babel.cfg``.

Named in the mapping file by dotted path (``[bot.content.babel_extractor:extract_yaml:
content/**.yml]``) because Babel imports ``module:function`` methods directly; that way we
need no entry point in pyproject.toml. Every unit is yielded as a ``pgettext`` call so that
Babel stores the content key as msgctxt.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from bot.content.problems import ProblemList
from bot.content.schema import Namespace, namespace_of, parse_doc
from bot.content.units import units_of
from bot.content.yamlsource import load_yaml

ExtractResult = tuple[int, str, tuple[str, str], list[str]]


def extract_yaml(fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str],
                 options: Mapping[str, Any]) -> Iterator[ExtractResult]:
    name = getattr(fileobj, "name", None)
    if not name:
        return
    path = Path(name)
    problems = ProblemList()
    doc = load_yaml(path, problems)
    if doc is not None:
        namespace = Namespace(namespace_of(path), path.parent)
        parse_doc(doc, namespace, None, problems)
        for unit in units_of(namespace):
            yield unit.line, "pgettext", (unit.key, unit.text), list(unit.comments)
    for problem in problems.errors:
        # Extraction goes on (the catalogs stay usable); `haki content check` fails on these.
        print(problem.format(), file=sys.stderr)
