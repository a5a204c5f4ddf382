"""Oversight figures: each incident recorded once, counted safely, reported as oversight
bodies use it (docs/oversight.md).

- ``taxonomy.py``: violation types, perpetrators, places, and their IPID/REAct mapping, as
  data per jurisdiction (content/<jurisdiction>/taxonomy.yml);
- ``marking.py``: gives each new case and anonymous record its violation (from the intent)
  and keeps sandbox/test records out of the figures;
- ``disclosure.py``: the one place that decides which counts are hidden;
- ``report.py``: the monthly tables, funnel and time to ACK, per calendar month;
- ``export.py`` (CSV/XLSX), ``charts.py`` (SVG), ``page.py`` (HTML), ``api.py`` (JSON).

``register(services)`` plugs the marking into the conversation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.services import Services


def register(services: Services) -> None:
    from bot.figures import marking

    marking.install(services.settings.content_dir)
    services.registry.turn_observers.append(marking.observe_turn)
