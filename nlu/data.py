"""Read the Rasa 3.x training files, so both backends learn from exactly the same data.

Only the parts of the format we use are read: ``intent`` blocks, ``lookup`` tables and
``regex`` entries. The language of an example is the file's name (``en.yml`` -> ``en``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

NLU_DIR = Path(__file__).resolve().parent
TRAINING_DIR = NLU_DIR / "data" / "nlu"
HELDOUT_DIR = NLU_DIR / "data" / "heldout"
#: Street-style held-out sets written before the issue-14 training changes (never trained on).
STREET_DIR = NLU_DIR / "data" / "street"
#: A second street-style held-out set, written independently while the training data changed.
STREET2_DIR = NLU_DIR / "data" / "street2"
#: Questions people asked in public, each with its source (never trained on).
REAL_QUESTIONS = NLU_DIR / "data" / "real" / "questions.yml"

# "[Friday](day)" is Rasa's entity markup; the classifier wants the bare words.
_ENTITY_MARKUP = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str
    language: str
    #: Gold urgency where a test set states it apart from the intent; None = "the intent
    #: is one of the urgent_* intents".
    urgent: bool | None = None


@dataclass(frozen=True, slots=True)
class RealQuestion:
    """A question someone asked in public; ``also`` holds other fair answers."""

    text: str
    intent: str
    language: str
    source: str
    also: tuple[str, ...] = ()
    urgent: bool = False

    @property
    def accepted(self) -> frozenset[str]:
        return frozenset((self.intent, *self.also))


def load_real(path: Path = REAL_QUESTIONS) -> list[RealQuestion]:
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        RealQuestion(
            text=str(item["text"]),
            intent=str(item["intent"]),
            language=str(item.get("language", "en")),
            source=str(item["source"]),
            also=tuple(str(a) for a in item.get("also", ()) or ()),
            urgent=bool(item.get("urgent", False)),
        )
        for item in document.get("questions", []) or []
    ]


@dataclass(frozen=True, slots=True)
class TrainingData:
    examples: tuple[Example, ...]
    #: lookup-table name -> lower-cased entries, merged over languages
    lookups: dict[str, tuple[str, ...]]
    #: the lookup / regex / synonym items as read, to write fold files for Rasa
    extras: tuple[dict[str, object], ...] = ()


def _block_items(block: object) -> list[str]:
    """Rasa stores examples as one string of "- item" lines."""
    if isinstance(block, list):
        return [str(item).strip() for item in block if str(item).strip()]
    items = []
    for line in str(block or "").splitlines():
        line = line.strip()
        if line.startswith("- "):
            line = line[2:].strip()
        elif line == "-":
            continue
        if line:
            items.append(_ENTITY_MARKUP.sub(lambda m: m.group(1) or m.group(2), line))
    return items


def yaml_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yml") if p.is_file())


def load(directory: Path = TRAINING_DIR) -> TrainingData:
    """Every example and lookup table in ``directory`` (one file per language)."""
    examples: list[Example] = []
    lookups: dict[str, list[str]] = {}
    extras: list[dict[str, object]] = []
    for path in yaml_files(directory):
        language = path.stem.split(".")[0]
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        # Test sets may list messages that are urgent whatever their intent.
        urgent_texts = {str(t).strip() for t in document.get("urgent", []) or []}
        for item in document.get("nlu", []) or []:
            if "intent" in item:
                for text in _block_items(item.get("examples")):
                    urgent = True if text in urgent_texts else None
                    examples.append(Example(text=text, intent=str(item["intent"]), language=language, urgent=urgent))
            else:
                extras.append(dict(item))
                if "lookup" in item:
                    entries = lookups.setdefault(str(item["lookup"]), [])
                    entries.extend(e.lower() for e in _block_items(item.get("examples")))
    return TrainingData(
        examples=tuple(examples),
        lookups={name: tuple(dict.fromkeys(entries)) for name, entries in lookups.items()},
        extras=tuple(extras),
    )


class _Block(str):
    """A string dumped as a YAML literal block (``examples: |``), the way Rasa files look."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Block, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|"))


def to_rasa_yaml(examples: list[Example], extras: tuple[dict[str, object], ...] = ()) -> str:
    """A Rasa NLU file holding ``examples`` (e.g. one cross-validation fold) and ``extras``."""
    by_intent: dict[str, list[str]] = {}
    for example in examples:
        by_intent.setdefault(example.intent, []).append(example.text)
    items: list[dict[str, object]] = [
        {"intent": intent, "examples": _Block("".join(f"- {text}\n" for text in texts))}
        for intent, texts in by_intent.items()
    ]
    # Lookup tables of several languages share a name; Rasa wants each name once.
    merged: dict[tuple[str, str], list[str]] = {}
    for item in extras:
        kind = "lookup" if "lookup" in item else "regex" if "regex" in item else ""
        if kind:
            merged.setdefault((kind, str(item[kind])), []).extend(_block_items(item.get("examples")))
    for (kind, name), entries in merged.items():
        unique = list(dict.fromkeys(entries))
        items.append({kind: name, "examples": _Block("".join(f"- {entry}\n" for entry in unique))})
    return yaml.dump({"version": "3.1", "nlu": items}, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)


def files_hash(paths: list[Path], *extra: str) -> str:
    """A hash of the files' bytes (and names) plus ``extra`` strings such as a code version."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    for value in extra:
        digest.update(value.encode())
        digest.update(b"\0")
    return digest.hexdigest()
