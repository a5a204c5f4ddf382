"""The short list of areas a person picks from, read from content/common/escalation.yml.

The list is content, not code: a programme working in three metros can replace the nine
provinces without a release. Each region id needs a ``region_<id>`` system text (its label,
translated like every other text).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

CONTENT_FILE = Path("common") / "escalation.yml"
#: Region stored when the person would rather not say.
UNKNOWN = "unknown"
#: A responder whose regions include this covers every region (a national backup).
ALL = "all"


@lru_cache(maxsize=8)
def _load(content_dir: str) -> dict[str, tuple[str, ...]]:
    path = Path(content_dir) / CONTENT_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    regions = data.get("regions") or {}
    return {str(jurisdiction): tuple(str(r) for r in ids) for jurisdiction, ids in regions.items()}


def regions_for(content_dir: Path, jurisdiction: str) -> tuple[str, ...]:
    """Region ids of a jurisdiction, in menu order (empty if it lists none)."""
    return _load(str(content_dir)).get(jurisdiction, ())


def all_region_ids(content_dir: Path) -> set[str]:
    return {region for ids in _load(str(content_dir)).values() for region in ids}
