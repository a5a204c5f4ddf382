"""Read a YAML file into plain Python data *and* remember the line of every value.

Editors need "content/za/rights.yml:42: sms is missing", not a Python traceback, so we keep
PyYAML's node tree long enough to map each key path to its line. One parse does both (the
C parser when available, to keep `ContentLibrary.load` fast).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.content.problems import ProblemList

try:  # libyaml is ~10x faster; fall back to the pure-Python parser where it is missing.
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

KeyPath = tuple[str | int, ...]


@dataclass
class YamlDoc:
    path: Path
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line(self, *keys: str | int) -> int:
        """The line of ``keys`` or, if that value is absent, of its nearest ancestor."""
        path: KeyPath = tuple(keys)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def load_yaml(path: Path, problems: ProblemList) -> YamlDoc | None:
    """Parse ``path``; on a syntax error or duplicate key, report it and return None."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.error(path, None, f"cannot read file: {error}")
        return None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problems.error(path, line, f"YAML syntax: {error.problem or error}")
        return None
    except yaml.YAMLError as error:
        problems.error(path, None, f"YAML error: {error}")
        return None
    finally:
        loader.dispose()
    doc = YamlDoc(path=path, data=data)
    if node is not None:
        duplicates = _index_lines(node, (), doc.lines)
        for key_path, line in duplicates:
            problems.error(path, line, f"duplicate key {'.'.join(map(str, key_path))!r}")
    return doc


def _index_lines(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> list[tuple[KeyPath, int]]:
    """Fill ``lines`` for ``node`` and its children; return duplicate mapping keys."""
    lines[path] = node.start_mark.line + 1
    duplicates: list[tuple[KeyPath, int]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = path + (key,)
            if key in seen:
                duplicates.append((child, key_node.start_mark.line + 1))
                continue
            seen.add(key)
            # Point at the key's line: that is where an editor looks for "title:".
            duplicates += _index_lines(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            duplicates += _index_lines(item, path + (index,), lines)
    return duplicates
