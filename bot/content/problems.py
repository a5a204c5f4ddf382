"""Problems found in content, always with the file and line an editor has to open."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    severity: Severity
    file: Path | None
    line: int | None
    message: str

    def format(self, root: Path | None = None) -> str:
        where = ""
        if self.file is not None:
            shown = self.file
            if root is not None:
                try:
                    shown = self.file.resolve().relative_to(root.resolve())
                except ValueError:
                    pass
            where = f"{shown}:{self.line}: " if self.line else f"{shown}: "
        return f"{self.severity}: {where}{self.message}"


class ContentError(Exception):
    """Content that cannot be loaded. ``problems`` says where, file and line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "; ".join(p.format() for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"content has errors: {shown}{more}")


class ProblemList(list[Problem]):
    """A list of problems with helpers, so parsers can report and carry on."""

    def error(self, file: Path | None, line: int | None, message: str) -> None:
        self.append(Problem("error", file, line, message))

    def warning(self, file: Path | None, line: int | None, message: str) -> None:
        self.append(Problem("warning", file, line, message))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self if p.severity == "warning"]
