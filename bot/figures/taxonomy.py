"""The oversight taxonomy of a jurisdiction, as data (content/<jurisdiction>/taxonomy.yml).

It says which violation types are counted, how each maps to the IPID Act s28 and to REAct,
which perpetrators and places are recorded, and how a record's violation is derived from
the intent it was made from (never from anything the person typed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

OTHER = "other"
NOT_RECORDED = "not_recorded"
URGENT = "urgent"


class TaxonomyError(ValueError):
    """The taxonomy file is missing or malformed; the message names the file."""


@dataclass(frozen=True)
class Violation:
    id: str
    label: str
    ipid_s28: tuple[str, ...]
    react: tuple[str, ...]


@dataclass(frozen=True)
class Taxonomy:
    jurisdiction: str
    violations: tuple[Violation, ...]
    perpetrators: dict[str, str]
    place_level: str
    #: intent -> {"urgent": violation, "normal": violation}
    from_intent: dict[str, dict[str, str]]
    #: the situation the person's words describe (content's choices.yml) -> violation; it
    #: wins over the intent, which cannot tell sexual violence from other violence
    from_situation: dict[str, str] = field(default_factory=dict)

    @property
    def violation_ids(self) -> tuple[str, ...]:
        return tuple(v.id for v in self.violations)

    def label(self, violation: str) -> str:
        return next((v.label for v in self.violations if v.id == violation), violation)

    def violation_for(self, intent: str | None, urgency: str | None = None,
                      situation: str | None = None) -> str:
        """The violation a record made from ``intent`` counts under (``other`` if unknown)."""
        if situation and situation in self.from_situation:
            return self.from_situation[situation]
        rule = self.from_intent.get(intent or "")
        if rule is None:
            return OTHER
        return rule[URGENT if urgency == URGENT else "normal"]

    def known(self, violation: str | None) -> str:
        """A stored violation id, or ``other`` when the taxonomy no longer has it."""
        return violation if violation in self.violation_ids else OTHER


def load(content_dir: Path, jurisdiction: str) -> Taxonomy:
    return _load(str(content_dir), jurisdiction)


@lru_cache(maxsize=16)
def _load(content_dir: str, jurisdiction: str) -> Taxonomy:
    path = Path(content_dir) / jurisdiction / "taxonomy.yml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise TaxonomyError(f"{path}: {error}") from error
    try:
        violations = tuple(
            Violation(id=key, label=str(item["label"]), ipid_s28=tuple(item.get("ipid_s28", ())),
                      react=tuple(item.get("react", ())))
            for key, item in data["violations"].items())
        ids = {v.id for v in violations}
        if OTHER not in ids:
            raise TaxonomyError(f"{path}: violations must include {OTHER!r}")
        from_intent: dict[str, dict[str, str]] = {}
        for intent, rule in (data.get("from_intent") or {}).items():
            both = rule if isinstance(rule, dict) else {URGENT: rule, "normal": rule}
            if set(both) != {URGENT, "normal"} or not set(both.values()) <= ids:
                raise TaxonomyError(f"{path}: from_intent.{intent} must name violations above")
            from_intent[str(intent)] = {k: str(v) for k, v in both.items()}
        from_situation = {str(k): str(v) for k, v in (data.get("from_situation") or {}).items()}
        if not set(from_situation.values()) <= ids:
            raise TaxonomyError(f"{path}: from_situation must name violations above")
        perpetrators = {str(k): str(v) for k, v in data["perpetrators"].items()}
        if NOT_RECORDED not in perpetrators:
            raise TaxonomyError(f"{path}: perpetrators must include {NOT_RECORDED!r}")
    except (KeyError, TypeError, AttributeError) as error:
        raise TaxonomyError(f"{path}: malformed taxonomy ({error})") from error
    return Taxonomy(jurisdiction=jurisdiction, violations=violations, perpetrators=perpetrators,
                    place_level=str(data.get("place_level", "province")), from_intent=from_intent,
                    from_situation=from_situation)
