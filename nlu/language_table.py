"""The table of languages, read from ``content/common/languages.yml``.

Code holds no list of languages: settings, the NLU evaluation and report, the make targets,
the sandbox page and the peers words all ask this module. It imports nothing of ours, so
both ``bot`` and ``nlu`` can use it without an import cycle.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

LANGUAGES_FILE = Path(__file__).resolve().parent.parent / "content" / "common" / "languages.yml"
_CODE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True, slots=True)
class LanguageInfo:
    code: str
    english: str
    own: str
    #: folded words people type to choose this language ("sesotho sa leboa")
    names: tuple[str, ...] = ()
    #: lingua's ISO 639-1 code, "" when lingua has no model for it (Sepedi)
    lingua: str = ""
    intent_target: float = 0.85
    language_id_target: float | None = None
    supported: bool = True
    #: for an unsupported language: the supported language its speakers most often read
    closest: str = ""
    #: languages of one family ("sotho-tswana") are told apart by words more than by lingua
    family: str = ""
    #: extra SMS keywords for the peers' JOIN command, upper case
    join: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LanguageTable:
    supported: tuple[LanguageInfo, ...]
    unsupported: tuple[LanguageInfo, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(info.code for info in self.supported)

    def get(self, code: str) -> LanguageInfo | None:
        return next((i for i in (*self.supported, *self.unsupported) if i.code == code), None)

    @property
    def join_words(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w for info in self.supported for w in info.join))

    def english_name(self, code: str) -> str:
        info = self.get(code)
        return info.english if info else code

    def by_name(self, text: str) -> str | None:
        """The supported language a word or code names ("sesotho", "Sepedi", "nso"), else None."""
        folded = fold_name(text)
        if not folded:
            return None
        for info in self.supported:
            if folded == info.code or folded in info.names or folded == fold_name(info.own):
                return info.code
        return None


def fold_name(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^a-z]+", " ", text).split())


class LanguageTableError(ValueError):
    pass


def _info(item: object, supported: bool, where: str) -> LanguageInfo:
    if not isinstance(item, dict):
        raise LanguageTableError(f"{where}: each language must be a mapping")
    code = str(item.get("code", "")).strip()
    if not _CODE.match(code):
        raise LanguageTableError(f"{where}: code {code!r} must be 2 or 3 lower-case letters")
    english = str(item.get("english") or "").strip()
    if not english:
        raise LanguageTableError(f"{where}: {code} needs an english name")
    own = str(item.get("own") or english).strip()
    names = tuple(fold_name(str(n)) for n in item.get("names") or [])
    target = item.get("language_id_target")
    return LanguageInfo(
        code=code, english=english, own=own, names=tuple(n for n in names if n),
        lingua=str(item.get("lingua") or "").strip(), intent_target=float(item.get("intent_target", 0.85)),
        language_id_target=float(target) if target is not None else None,
        supported=supported, closest=str(item.get("closest") or "").strip(),
        family=str(item.get("family") or "").strip(),
        join=tuple(str(w).strip().upper() for w in item.get("join") or [] if str(w).strip()),
    )


def parse_table(document: object, where: str = "languages.yml") -> LanguageTable:
    if not isinstance(document, dict) or not isinstance(document.get("languages"), list):
        raise LanguageTableError(f"{where}: needs a 'languages:' list")
    supported = tuple(_info(item, True, where) for item in document["languages"])
    unsupported = tuple(_info(item, False, where) for item in document.get("unsupported") or [])
    codes = [i.code for i in (*supported, *unsupported)]
    if not supported or len(set(codes)) != len(codes):
        raise LanguageTableError(f"{where}: list at least one language, each code once")
    for info in unsupported:
        if info.closest not in {i.code for i in supported}:
            raise LanguageTableError(f"{where}: {info.code}'s closest {info.closest!r} is not a supported language")
    return LanguageTable(supported, unsupported)


@lru_cache(maxsize=4)
def load_table(path: Path = LANGUAGES_FILE) -> LanguageTable:
    return parse_table(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))


def supported_codes(path: Path = LANGUAGES_FILE) -> tuple[str, ...]:
    return load_table(path).codes


if __name__ == "__main__":  # `python -m nlu.language_table` prints "en,zu,..." for make
    print(",".join(supported_codes()))
