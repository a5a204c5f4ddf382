"""`haki responders ...`, `haki cases ...`, `haki worker ...`.

Operator commands never print a full phone number or chat id (addresses are masked) and
never print a case summary unless asked with ``--reveal``, which warns on stderr: a
terminal's scroll-back is not encrypted at rest.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy import select

from bot.settings import Settings, get_settings


@contextmanager
def _store() -> Iterator[tuple[Settings, object, object]]:
    """Settings, a session and the cipher: all the registry and case commands need
    (no NLU, no content, so they start in well under a second)."""
    from bot.storage.crypto import Cipher
    from bot.storage.db import Database

    settings = get_settings()
    database = Database(settings.database_url)
    try:
        with database.session() as session:
            yield settings, session, Cipher(settings.fernet_keys)
    finally:
        database.dispose()


def _fail(message: str) -> None:
    click.echo(f"haki: {message}", err=True)
    sys.exit(1)


# --- responders --------------------------------------------------------------------------------
@click.group()
def responders() -> None:
    """The registry of police liaison officers and paralegals who receive cases."""


@responders.command("add")
@click.option("--name", required=True)
@click.option("--org", "organisation", required=True, help="Programme or organisation.")
@click.option("--kind", type=click.Choice(["paralegal", "liaison"]), required=True)
@click.option("--regions", required=True,
              help="Comma-separated region ids (see content/common/escalation.yml) or 'all'.")
@click.option("--channel", type=click.Choice(["telegram", "sms"]), required=True)
@click.option("--address", default=None,
              help="E.164 number for SMS. For Telegram leave it out: a one-time code is printed "
                   "that the responder sends to the bot (LINK <code>) to link their chat.")
@click.option("--on-duty/--off-duty", default=True)
def responders_add(name: str, organisation: str, kind: str, regions: str, channel: str,
                   address: str | None, on_duty: bool) -> None:
    """Add a responder (their address is stored encrypted)."""
    from bot.escalation.regions import all_region_ids
    from bot.escalation.responders import (
        ResponderError,
        add_responder,
        add_unlinked_responder,
        view,
    )
    from bot.storage.base import utcnow

    with _store() as (settings, session, cipher):
        if address is None:
            if channel != "telegram":
                _fail("an SMS responder needs --address (their E.164 number)")
                return
            try:
                unlinked, code = add_unlinked_responder(
                    session, name=name, organisation=organisation, kind=kind,  # type: ignore[arg-type]
                    regions=regions.split(","), on_duty=on_duty,
                    known_regions=all_region_ids(settings.content_dir), now=utcnow())
            except ResponderError as error:
                _fail(str(error))
                return
            click.echo(f"added responder #{unlinked.id}: {unlinked.name} (telegram, not linked yet)")
            click.echo(f"they send this to the bot on Telegram within 48 hours: LINK {code}")
            return
        try:
            responder = add_responder(session, cipher, settings.secret_key, name=name,  # type: ignore[arg-type]
                                      organisation=organisation, kind=kind,
                                      regions=regions.split(","), channel=channel, address=address,
                                      on_duty=on_duty, known_regions=all_region_ids(settings.content_dir),
                                      jurisdiction=settings.jurisdiction)
        except ResponderError as error:
            _fail(str(error))
            return
        shown = view(responder, cipher)  # type: ignore[arg-type]
        click.echo(f"added responder #{shown.id}: {shown.name} ({shown.kind}, {shown.channel} "
                   f"{shown.masked_address}, {'on' if on_duty else 'off'} duty)")


@responders.command("link-code")
@click.argument("responder_id", type=int)
def responders_link_code(responder_id: int) -> None:
    """A new one-time code a Telegram responder sends to the bot (LINK <code>)."""
    from bot.escalation.responders import ResponderError, get_responder, new_link_code
    from bot.storage.base import utcnow

    with _store() as (_, session, _cipher):
        try:
            responder = get_responder(session, responder_id)  # type: ignore[arg-type]
        except ResponderError as error:
            _fail(str(error))
            return
        code = new_link_code(session, responder.id, utcnow())  # type: ignore[arg-type]
    click.echo(f"responder #{responder_id} sends this to the bot on Telegram within 48 hours: LINK {code}")


@responders.command("list")
def responders_list() -> None:
    """All responders; addresses masked."""
    from bot.escalation.responders import list_responders, view

    with _store() as (_, session, cipher):
        rows = [view(r, cipher) for r in list_responders(session)]  # type: ignore[arg-type]
    if not rows:
        click.echo("no responders yet: add one with `haki responders add`")
        return
    click.echo(f"{'id':>3}  {'name':<20} {'organisation':<18} {'kind':<9} {'channel':<8} "
               f"{'address':<14} {'duty':<4} {'state':<8} regions")
    for r in rows:
        click.echo(f"{r.id:>3}  {r.name[:20]:<20} {r.organisation[:18]:<18} {r.kind:<9} "
                   f"{r.channel:<8} {r.masked_address:<14} {'on' if r.on_duty else 'off':<4} "
                   f"{'active' if r.active else 'disabled':<8} {','.join(r.regions)}")


def _set(responder_id: int, **values: bool) -> None:
    from bot.escalation.responders import ResponderError, get_responder

    with _store() as (_, session, _cipher):
        try:
            responder = get_responder(session, responder_id)  # type: ignore[arg-type]
        except ResponderError as error:
            _fail(str(error))
            return
        for name, value in values.items():
            setattr(responder, name, value)
        click.echo(f"responder #{responder.id} {responder.name}: "
                   f"{'active' if responder.active else 'disabled'}, "
                   f"{'on' if responder.on_duty else 'off'} duty")


@responders.command("disable")
@click.argument("responder_id", type=int)
def responders_disable(responder_id: int) -> None:
    """Stop routing cases to a responder (open cases move on at their deadline)."""
    _set(responder_id, active=False)


@responders.command("enable")
@click.argument("responder_id", type=int)
def responders_enable(responder_id: int) -> None:
    _set(responder_id, active=True)


@responders.command("duty")
@click.argument("responder_id", type=int)
@click.option("--on/--off", "on_duty", required=True)
def responders_duty(responder_id: int, on_duty: bool) -> None:
    """Put a responder on or off duty."""
    _set(responder_id, on_duty=on_duty)


# --- cases -------------------------------------------------------------------------------------
@click.group()
def cases() -> None:
    """Escalated cases: list, show, monthly figures."""


@cases.command("list")
@click.option("--open", "only_open", is_flag=True, help="Only cases not yet closed.")
@click.option("--limit", default=50, show_default=True)
def cases_list(only_open: bool, limit: int) -> None:
    """Reference, state, category, region, responder: never summaries or contacts."""
    from bot.escalation.models import ACKNOWLEDGED, OPEN_STATES, Case

    with _store() as (_, session, _cipher):
        query = select(Case).order_by(Case.id.desc()).limit(limit)
        if only_open:
            query = query.where(Case.status.in_(OPEN_STATES + (ACKNOWLEDGED,)))
        rows = session.scalars(query).all()  # type: ignore[attr-defined]
        if not rows:
            click.echo("no cases")
            return
        click.echo(f"{'reference':<9} {'state':<12} {'urgency':<7} {'kind':<9} {'region':<14} "
                   f"{'responder':<9} {'created (UTC)':<16} category")
        for case in rows:
            click.echo(f"{case.reference:<9} {case.status:<12} {case.urgency:<7} "
                       f"{case.responder_kind:<9} {case.region:<14} "
                       f"{('#' + str(case.responder_id)) if case.responder_id else '-':<9} "
                       f"{case.created_at:%Y-%m-%d %H:%M} {case.category}")


@cases.command("show")
@click.argument("reference")
@click.option("--reveal", is_flag=True,
              help="Also decrypt the summary and closing note (printed in clear: careful).")
def cases_show(reference: str, reveal: bool) -> None:
    """One case and its audit trail."""
    from bot.escalation.cases import find_case, normalise_reference
    from bot.escalation.models import CaseEvent

    normal = normalise_reference(reference)
    if normal is None:
        _fail(f"{reference!r} is not a case reference like K7-3QF")
        return
    with _store() as (_, session, cipher):
        case = find_case(session, normal)  # type: ignore[arg-type]
        if case is None:
            _fail(f"no case {normal}")
            return
        click.echo(f"case {case.reference}: {case.status}, {case.urgency}, {case.category}, "
                   f"region {case.region}, {case.responder_kind} wanted, "
                   f"responder {('#' + str(case.responder_id)) if case.responder_id else 'none'}, "
                   f"call-back {'agreed' if case.callback_allowed else 'not agreed'}")
        if case.ack_deadline:
            click.echo(f"acknowledgement due by {case.ack_deadline:%Y-%m-%d %H:%M:%S} UTC")
        events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)  # type: ignore[attr-defined]
                                 .order_by(CaseEvent.id)).all()
        for event in events:
            who = f"{event.actor}" + (f" #{event.responder_id}" if event.responder_id else "")
            click.echo(f"  {event.at:%Y-%m-%d %H:%M:%S}  {event.event:<18} {who:<14} {event.detail}")
        if reveal:
            click.echo("warning: printing personal data in clear; clear your scroll-back",
                       err=True)
            for label, token in (("summary", case.summary_encrypted),
                                 ("closing note", case.close_note_encrypted)):
                click.echo(f"{label}: {cipher.decrypt(token) if token else '(none)'}")  # type: ignore[attr-defined]


def _case_action(reference: str, act) -> None:  # type: ignore[no-untyped-def]
    """Run one service use case as the operator, then deliver what it queued."""
    import time

    from bot.escalation import escalation_of
    from bot.escalation.queues import InProcessQueue
    from bot.escalation.service import Actor, Denied, EscalationService, Invalid, NotFound

    services = _worker_services()
    escalation = escalation_of(services)
    service = EscalationService(escalation)
    try:
        with service.unit() as uow:
            case = service.case_for(uow, reference, Actor.operator(), for_update=True)
            done = act(service, uow, case, Actor.operator())
            click.echo(f"{case.reference}: {done.outcome.value}, now {case.status}")
    except (NotFound, Denied):
        _fail(f"no case {reference}")
    except Invalid as error:
        _fail(str(error))
    queue = escalation.queue
    if isinstance(queue, InProcessQueue):
        deadline = time.monotonic() + 30
        while queue.backlog and time.monotonic() < deadline:
            time.sleep(0.1)
    services.close()


@cases.command("ack")
@click.argument("reference")
def cases_ack(reference: str) -> None:
    """Acknowledge on behalf of the assigned responder (the person is told)."""
    _case_action(reference, lambda s, uow, case, actor: s.acknowledge(uow, case, actor))


@cases.command("close")
@click.argument("reference")
@click.option("--outcome", required=True, help="An outcome code (content/<jurisdiction>/outcomes.yml).")
@click.option("--note", default="", help="A closing note (stored encrypted).")
def cases_close(reference: str, outcome: str, note: str) -> None:
    """Close on behalf of the assigned responder, with an outcome code."""
    _case_action(reference, lambda s, uow, case, actor: s.close(uow, case, actor, outcome, note))


@cases.command("reassign")
@click.argument("reference")
@click.option("--to", "responder_id", type=int, required=True, help="The responder's id.")
def cases_reassign(reference: str, responder_id: int) -> None:
    """Hand the case to another responder (they get the notice, the old one is told)."""
    _case_action(reference, lambda s, uow, case, actor: s.reassign(uow, case, actor, responder_id))


@cases.command("figures")
@click.option("--month", default=None, help="YYYY-MM (default: the last complete month).")
def cases_figures(month: str | None) -> None:
    """Monthly figures, small counts hidden: the same as `haki figures show`."""
    from bot.figures.cli import show

    click.get_current_context().invoke(show, month=month, jurisdiction=None)


# --- worker ------------------------------------------------------------------------------------
@click.group()
def worker() -> None:
    """Deliver notifications and run the sweep."""


def _worker_services(queue: str | None = None):  # type: ignore[no-untyped-def]
    from bot.escalation.standalone import worker_services
    from bot.logging_setup import configure_logging

    settings = get_settings()
    if queue is not None:
        settings = settings.model_copy(update={"queue": queue})
    configure_logging(settings)
    return worker_services(settings)


@worker.command("run")
@click.option("--threads", default=2, show_default=True)
def worker_run(threads: int) -> None:
    """In-process worker and sweeper, no Redis needed (until Ctrl-C)."""
    from bot.escalation import escalation_of
    from bot.escalation.queues import InProcessQueue
    from bot.escalation.sweeps import sweep

    services = _worker_services("inprocess")
    queue = InProcessQueue(services, workers=threads)
    escalation_of(services).use_queue(queue)
    report = sweep(services, queue)  # pick up whatever was left behind
    click.echo(f"worker running: {threads} threads, sweep every {services.settings.sweep_seconds}s "
               f"({report.requeued} notifications picked up). Ctrl-C to stop.")
    queue.start_sweeper()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    services.close()


@worker.command("sweep")
def worker_sweep() -> None:
    """One sweep (for cron when no worker runs): re-route, expire, re-queue."""
    from bot.escalation import escalation_of
    from bot.escalation.queues import InProcessQueue
    from bot.escalation.sweeps import sweep

    services = _worker_services()
    queue = escalation_of(services).queue
    report = sweep(services, queue)
    if isinstance(queue, InProcessQueue):
        # Deliver what this sweep queued before exiting.
        import time

        deadline = time.monotonic() + 60
        while queue.backlog and time.monotonic() < deadline:
            time.sleep(0.1)
    click.echo(f"re-routed {report.rerouted}, assigned {report.assigned}, "
               f"expired {report.expired}, re-queued {report.requeued}")
    services.close()


@worker.command("celery", context_settings={"ignore_unknown_options": True})
@click.option("--beat/--no-beat", default=True, help="Also run the sweep schedule (one per site).")
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def worker_celery(beat: bool, celery_args: tuple[str, ...]) -> None:
    """The Celery worker on HAKI_REDIS_URL (extra arguments go to celery)."""
    from bot.escalation.tasks import app, configure

    configure(get_settings())
    argv = ["worker", "--loglevel", "INFO", "--pool", "threads", "--concurrency", "4"]
    if beat:
        argv.append("--beat")
    app.worker_main(argv + list(celery_args))


@worker.command("beat", context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def worker_beat(celery_args: tuple[str, ...]) -> None:
    """Celery beat alone (when workers run with --no-beat): the sweep schedule."""
    from bot.escalation.tasks import app, configure

    configure(get_settings())
    app.start(["beat", "--loglevel", "INFO", *celery_args])
