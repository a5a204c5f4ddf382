"""Records for the figures tests: real rows in a real database, made the way the service
makes them (cases through bot/escalation/cases.py, anonymous records as the flow stores
them), in months long past so every month is complete."""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.escalation.cases import NewCase, acknowledge, close, create_case
from bot.escalation.models import AnonymousReport, Case, Responder
from bot.escalation.regions import all_region_ids
from bot.escalation.responders import add_responder

_numbers = itertools.count(1000)
CATEGORIES = ("urgent_arrested_now", "urgent_violence", "police_bribe", "needles_confiscated",
              "rights_search", "urgent_medical_custody", "talk_to_person")
REGIONS = ("gauteng", "kwazulu_natal", "western_cape", "limpopo", "free_state")


def at(month: str, day: int = 10, hour: int = 12) -> datetime:
    return datetime(int(month[:4]), int(month[5:]), day, hour, tzinfo=timezone.utc)


class Records:
    def __init__(self, services: Any) -> None:
        self.services = services
        with services.db.session() as session:
            self.responder_id = add_responder(
                session, services.cipher, services.settings.secret_key, name="R",
                organisation="NGO", kind="paralegal", regions=["all"], channel="telegram",
                address=str(next(_numbers)), on_duty=True,
                known_regions=all_region_ids(services.settings.content_dir)).id
            session.commit()

    def case(self, when: datetime, category: str = "urgent_violence", region: str = "gauteng", *,
             ack_after: timedelta | None = None, close_after: timedelta | None = None,
             is_test: bool = False) -> str:
        with self.services.db.session() as session:
            case, _ = create_case(session, self.services, NewCase(
                pseudonym=f"p{next(_numbers)}", channel="sms", address="+27820000000",
                language="en", jurisdiction="za", category=category, region=region,
                urgency="urgent" if category.startswith("urgent") else "normal",
                kind="paralegal", callback_allowed=False), when)
            case.is_test = is_test
            responder = session.get(Responder, self.responder_id)
            assert responder is not None and case.responder_id == responder.id
            if ack_after is not None:
                acknowledge(session, case, responder, when + ack_after)
            if close_after is not None:
                close(session, self.services.cipher, case, responder, "", when + close_after)
            session.commit()
            return case.reference

    def anonymous(self, month: str, category: str = "police_bribe", region: str = "gauteng",
                  count: int = 1, is_test: bool = False) -> None:
        with self.services.db.session() as session:
            for _ in range(count):
                session.add(AnonymousReport(jurisdiction="za", category=category, region=region,
                                            month=month, is_test=is_test))
            session.commit()

    def many(self, months: list[str], n: int, seed: int = 7) -> None:
        """``n`` cases spread at random over ``months``, most acknowledged, some closed."""
        rng = random.Random(seed)
        for _ in range(n):
            month = rng.choice(months)
            self.case(at(month, rng.randint(1, 25), rng.randint(0, 23)), rng.choice(CATEGORIES),
                      rng.choice(REGIONS),
                      ack_after=timedelta(minutes=rng.randint(3, 300)) if rng.random() < 0.8 else None,
                      close_after=timedelta(hours=rng.randint(2, 60)) if rng.random() < 0.5 else None)

    def cases(self) -> list[Case]:
        from sqlalchemy import select

        with self.services.db.session() as session:
            return list(session.scalars(select(Case)).all())
