"""The console's pages: sign-in (password, then TOTP), enrolment, the inbox, a case and
its actions, the coordinator's audit page.

Every page reads through the actor's scope (console/inbox.py, bot/escalation/service.py)
and every view and action writes an audit row. Every POST carries a CSRF token (checked
in ``_csrf`` before any view runs); responses carry a strict CSP and ``no-store``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from wtforms import ValidationError

from bot.escalation import escalation_of
from bot.escalation.models import (
    ROLE_ADMIN,
    ROLE_COORDINATOR,
    ROLE_OVERSIGHT,
    ROLE_RESPONDER,
    TO_PERSON,
    AuditEntry,
    Case,
    CaseEvent,
    CaseNote,
    ConsoleAccount,
    Notification,
    Responder,
)
from bot.escalation.notices import region_label
from bot.escalation.outcomes import outcome_codes
from bot.figures.page import render_report_page
from bot.figures.report import ReportError, build_report, requested_months
from bot.escalation.service import (
    Actor,
    Denied,
    EscalationService,
    Invalid,
    NotFound,
    UnitOfWork,
)
from bot.escalation.sla import is_overdue
from bot.messages import Channel
from bot.services import Services
from bot.storage.base import utcnow
from console import auth
from console.inbox import alerts, inbox, recent_closed

blueprint = Blueprint("console", __name__, url_prefix="/console",
                      template_folder="templates", static_folder="static")

#: No script at all; styles and images only from us (the TOTP QR code is an inline data: SVG).
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
#: The figures page is one self-contained document (bot/figures/page.py) with its CSS and
#: SVG charts inline; it shows aggregates from our own database, never typed text.
CSP_FIGURES = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
View = TypeVar("View", bound=Callable[..., Any])


def init_console(app: Flask, services: Services) -> None:
    """Register the blueprint and the session-cookie settings it relies on."""
    settings = services.settings
    # The session cookie is signed with a key derived from the secret, not the secret itself
    # (which keys the pseudonyms).
    app.secret_key = hmac.new(settings.secret_key.encode(), b"haki-console-session",
                              hashlib.sha256).hexdigest()
    app.config.update(
        SESSION_COOKIE_NAME="haki_console",
        SESSION_COOKIE_SECURE=settings.console_secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        # Lax, not Strict: a responder following the link in their notice arrives signed in.
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/console",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.console_session_minutes),
        WTF_CSRF_TIME_LIMIT=settings.console_session_minutes * 60,
        WTF_CSRF_SSL_STRICT=False,  # the token is the check; Referer may be stripped by our own policy
    )
    app.register_blueprint(blueprint)


def _services() -> Services:
    return current_app.haki.services  # type: ignore[attr-defined,no-any-return]


def _service() -> EscalationService:
    return EscalationService(escalation_of(_services()))


# --- request guards ---------------------------------------------------------------------------
@blueprint.before_request
def _csrf() -> None:
    if request.method == "POST":
        try:
            validate_csrf(request.form.get("csrf_token", ""))
        except (ValidationError, CSRFError):
            abort(400, "The form has expired or was not sent from the console. Go back, reload and try again.")


@blueprint.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP_FIGURES if g.get("figures_page") else CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    if not request.path.startswith("/console/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"csrf_token": generate_csrf}


def _account(db: Session) -> ConsoleAccount | None:
    account_id = session.get("account")
    if not account_id or session.get("stage") != "in":
        return None
    account = db.get(ConsoleAccount, account_id)
    if account is None or not account.active or account.session_version != session.get("version"):
        return None
    return account


def actor_of(db: Session, account: ConsoleAccount) -> Actor:
    if account.role == ROLE_RESPONDER and account.responder_id:
        responder = db.get(Responder, account.responder_id)
        if responder is not None:
            return Actor.responder(responder, "console", account.id, name=account.username)
    if account.role == ROLE_COORDINATOR and account.organisation:
        return Actor.coordinator(account.username, account.organisation, account.id)
    # Admins and accounts whose responder is gone: set-up only, no cases (deny by default).
    return Actor(account.role if account.role == ROLE_ADMIN else "none",
                 f"{account.username} ({account.role}) via console", "console",
                 account_id=account.id)


def signed_in(view: View) -> View:
    """Runs the view in one unit of work with ``g.actor`` and ``g.account`` set."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _service().unit() as uow:
            account = _account(uow.session)
            if account is None:
                session.clear()
                return redirect(url_for("console.login"))
            g.uow, g.account, g.actor = uow, account, actor_of(uow.session, account)
            return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


# --- signing in -------------------------------------------------------------------------------
@blueprint.get("/login")
def login() -> str:
    return render_template("login.html", error=None)


@blueprint.post("/login")
def login_post() -> Any:
    services = _services()
    username = request.form.get("username", "").strip().lower()[:64]
    password = request.form.get("password", "")[:512]
    now = utcnow()
    tag = auth.client_tag(services.settings.secret_key, request.remote_addr or "?")
    with _service().unit() as uow:
        if auth.too_many_failures(uow.session, username, tag, now,
                                  services.settings.console_login_attempts):
            uow.session.add(AuditEntry(at=now, actor=f"{username[:60]} (sign-in)", action="login_throttled",
                                       detail=tag))
            return render_template("login.html", error="Too many attempts. Wait 15 minutes."), 429
        account = uow.session.scalar(select(ConsoleAccount).where(ConsoleAccount.username == username))
        if not auth.check_password(account, password) or account is None or not account.totp_confirmed:
            uow.session.add(AuditEntry(at=now, actor=f"{username[:60]} (sign-in)", action="login_failed",
                                       detail=tag))
            return render_template("login.html", error="Wrong username or password."), 401
        session.clear()
        session["account"], session["stage"], session["version"] = account.id, "totp", account.session_version
    return redirect(url_for("console.login_totp"))


@blueprint.route("/login/totp", methods=["GET", "POST"])
def login_totp() -> Any:
    if session.get("stage") != "totp":
        return redirect(url_for("console.login"))
    if request.method == "GET":
        return render_template("totp.html", error=None)
    services = _services()
    code = request.form.get("code", "")[:64]
    now = utcnow()
    tag = auth.client_tag(services.settings.secret_key, request.remote_addr or "?")
    with _service().unit() as uow:
        account = uow.session.get(ConsoleAccount, session.get("account"))
        if account is None or not account.active:
            session.clear()
            return redirect(url_for("console.login"))
        who = f"{account.username[:60]} (sign-in)"
        if auth.too_many_failures(uow.session, account.username, tag, now,
                                  services.settings.console_login_attempts):
            session.clear()
            return render_template("login.html", error="Too many attempts. Wait 15 minutes."), 429
        cipher = services.cipher
        if auth.check_totp(account, cipher, code, now):
            how = "totp"
        elif len(code) > 8 and auth.use_recovery_code(account, code):
            how = f"recovery code ({len(account.recovery_hashes)} left)"
        else:
            uow.session.add(AuditEntry(at=now, actor=who, account_id=account.id, action="login_failed",
                                       detail=tag))
            return render_template("totp.html", error="That code is not right. Try the newest one."), 401
        account.last_login_at = now
        uow.session.add(AuditEntry(at=now, actor=f"{account.username} ({account.role})",
                                   account_id=account.id, action="login",
                                   organisation=_organisation_of(uow.session, account), detail=how))
        version = account.session_version
    session.clear()
    session.permanent = True
    session["account"], session["stage"], session["version"] = account.id, "in", version
    return redirect(url_for("console.index"))


@blueprint.post("/logout")
def logout() -> Any:
    session.clear()
    return redirect(url_for("console.login"))


def _organisation_of(db: Session, account: ConsoleAccount) -> str | None:
    if account.responder_id:
        responder = db.get(Responder, account.responder_id)
        return responder.organisation if responder else None
    return account.organisation


# --- enrolment --------------------------------------------------------------------------------
@blueprint.route("/enrol", methods=["GET", "POST"])
def enrol() -> Any:
    # The token travels in the query string, which access logs (gunicorn's %(U)) leave out.
    token = (request.args.get("token") or request.form.get("token") or "")[:100]
    services = _services()
    now = utcnow()
    with _service().unit() as uow:
        try:
            invitation = auth.open_invite(uow.session, token, now)
        except auth.AuthError as error:
            return render_template("message.html", message=str(error)), 404
        if request.method == "GET":
            return render_template("enrol.html", role=invitation.role, token=token, error=None)
        try:
            account, secret, codes = auth.create_account(
                uow.session, services.cipher, invitation, username=request.form.get("username", "")[:64],
                password=request.form.get("password", "")[:512], now=now)
        except auth.AuthError as error:
            return render_template("enrol.html", role=invitation.role, token=token,
                                   error=str(error)), 400
        uow.session.add(AuditEntry(at=now, actor=f"{account.username} ({account.role})",
                                   account_id=account.id, action="enrolled",
                                   organisation=_organisation_of(uow.session, account)))
        account_id = account.id
        username = account.username
    session.clear()
    session["account"], session["stage"] = account_id, "enrol"
    return render_template("enrol_totp.html", secret=secret, codes=codes, error=None,
                           qr=_qr_svg(auth.totp_uri(secret, username)))


@blueprint.post("/enrol/confirm")
def enrol_confirm() -> Any:
    if session.get("stage") != "enrol":
        return redirect(url_for("console.login"))
    services = _services()
    now = utcnow()
    with _service().unit() as uow:
        account = uow.session.get(ConsoleAccount, session.get("account"))
        if account is None or account.totp_confirmed:
            session.clear()
            return redirect(url_for("console.login"))
        if not auth.check_totp(account, services.cipher, request.form.get("code", "")[:16], now):
            secret = services.cipher.decrypt(account.totp_secret_encrypted)
            return render_template("enrol_totp.html", secret=secret, codes=None,
                                   qr=_qr_svg(auth.totp_uri(secret, account.username)),
                                   error="That code is not right. Check the phone's clock and try the newest code."), 400
        account.totp_confirmed = True
        account.last_login_at = now
        version = account.session_version
    session.clear()
    session.permanent = True
    session["account"], session["stage"], session["version"] = account.id, "in", version
    return redirect(url_for("console.index"))


def _qr_svg(uri: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


# --- the inbox and a case ---------------------------------------------------------------------
@blueprint.get("/")
@signed_in
def index() -> Any:
    uow: UnitOfWork = g.uow
    actor: Actor = g.actor
    if g.account.role == ROLE_OVERSIGHT:
        return redirect(url_for("console.figures_page"))  # no inbox: aggregates only
    now = utcnow()
    page = max(0, min(request.args.get("page", 0, type=int) or 0, 1000))
    rows = inbox(uow.session, actor, now, page)
    uow.audit(actor, "view_inbox", detail=f"page {page}, {len(rows)} rows")
    services = _services()
    labels = {row.region: _region(services, row.region) for row in rows}
    overdue, unassigned = alerts(uow.session, actor, now)
    return render_template("inbox.html", rows=rows, page=page, labels=labels,
                           overdue=overdue, unassigned=unassigned,
                           closed=recent_closed(uow.session, actor), account=g.account, actor=actor)


def _region(services: Services, region: str) -> str:
    try:
        return services.content.text(f"region_{region}", "en", services.settings.jurisdiction)
    except KeyError:
        return region


def _load(reference: str, *, for_update: bool = False) -> Any:
    try:
        return _service().case_for(g.uow, reference, g.actor, for_update=for_update)
    except (NotFound, Denied):
        # The same answer for "no such case" and "not yours": existence is not disclosed.
        g.uow.audit(g.actor, "denied", detail=f"case {reference[:10]}")
        abort(404)


@blueprint.get("/case/<reference>")
@signed_in
def case_page(reference: str) -> Any:
    case = _load(reference)
    g.uow.audit(g.actor, "view_case", case)
    return _render_case(case)


def _render_case(case: Any, *, revealed: str | None = None, error: str | None = None,
                 status: int = 200) -> Any:
    services = _services()
    db: Session = g.uow.session
    actor: Actor = g.actor
    cipher = services.cipher
    summary = cipher.decrypt(case.summary_encrypted) if case.summary_encrypted else ""
    close_note = cipher.decrypt(case.close_note_encrypted) if case.close_note_encrypted else ""
    notes = [(n.at, n.author, cipher.decrypt(n.text_encrypted)) for n in db.scalars(
        select(CaseNote).where(CaseNote.case_id == case.id).order_by(CaseNote.id)).all()]
    events = db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                        .order_by(CaseEvent.id)).all()
    audit: list[AuditEntry] = []
    if actor.role == ROLE_COORDINATOR:
        audit = list(db.scalars(select(AuditEntry).where(AuditEntry.case_id == case.id)
                                .order_by(AuditEntry.id.desc()).limit(100)).all())
    told = db.scalars(select(Notification).where(Notification.case_id == case.id,
                                                 Notification.recipient == TO_PERSON)
                      .order_by(Notification.id)).all()
    responders: list[Responder] = []
    if actor.role == ROLE_COORDINATOR:
        responders = list(db.scalars(select(Responder).where(
            Responder.organisation == actor.organisation, Responder.active.is_(True))
            .order_by(Responder.name)).all())
    can_act = case.status in ("assigned", "unassigned", "acknowledged") and (
        actor.role == ROLE_COORDINATOR or case.responder_id == actor.responder_id)
    now = utcnow()
    due = int((case.ack_deadline - now).total_seconds() // 60) if case.ack_deadline else None
    return render_template(
        "case.html", case=case, summary=summary, close_note=close_note, notes=notes,
        events=events, audit=audit, told=told, responders=responders, can_act=can_act,
        region=region_label(services, case, "en"), overdue=is_overdue(case, now), due=due,
        outcomes=outcome_codes(services.settings.content_dir, case.jurisdiction),
        callback_possible=bool(case.callback_allowed and case.channel == Channel.SMS.value
                               and case.contact_encrypted),
        revealed=revealed, error=error, actor=actor, account=g.account), status


def _act(reference: str, action: Callable[[EscalationService, UnitOfWork, Any, Actor], Any]) -> Any:
    case = _load(reference, for_update=True)
    try:
        action(_service(), g.uow, case, g.actor)
    except Denied:
        g.uow.audit(g.actor, "denied", case)
        abort(403)
    except Invalid as error:
        return _render_case(case, error=str(error), status=400)
    return redirect(url_for("console.case_page", reference=case.reference))


@blueprint.post("/case/<reference>/ack")
@signed_in
def case_ack(reference: str) -> Any:
    return _act(reference, lambda s, uow, case, actor: s.acknowledge(uow, case, actor))


@blueprint.post("/case/<reference>/note")
@signed_in
def case_note(reference: str) -> Any:
    text = request.form.get("note", "")[:2000]
    return _act(reference, lambda s, uow, case, actor: s.add_note(uow, case, actor, text))


@blueprint.post("/case/<reference>/close")
@signed_in
def case_close(reference: str) -> Any:
    outcome = request.form.get("outcome", "")[:40]
    note = request.form.get("note", "")[:2000]
    return _act(reference, lambda s, uow, case, actor: s.close(uow, case, actor, outcome, note))


@blueprint.post("/case/<reference>/reassign")
@signed_in
def case_reassign(reference: str) -> Any:
    target = request.form.get("responder", type=int)
    if target is None:
        abort(400)
    return _act(reference, lambda s, uow, case, actor: s.reassign(uow, case, actor, target))


@blueprint.post("/case/<reference>/reveal")
@signed_in
def case_reveal(reference: str) -> Any:
    """The call-back number: only if the person agreed, only on request, always logged."""
    case = _load(reference)
    if not (case.callback_allowed and case.channel == Channel.SMS.value and case.contact_encrypted):
        abort(404)
    g.uow.audit(g.actor, "reveal_callback", case)
    return _render_case(case, revealed=_services().cipher.decrypt(case.contact_encrypted))


# --- the coordinator's audit page -------------------------------------------------------------
@blueprint.get("/audit")
@signed_in
def audit_page() -> Any:
    actor: Actor = g.actor
    if actor.role != ROLE_COORDINATOR:
        abort(404)
    db: Session = g.uow.session
    own_accounts = select(ConsoleAccount.id).where(or_(
        ConsoleAccount.organisation == actor.organisation,
        ConsoleAccount.responder_id.in_(select(Responder.id).where(
            Responder.organisation == actor.organisation))))
    entries = db.execute(
        select(AuditEntry, Case.reference).outerjoin(Case, Case.id == AuditEntry.case_id)
        .where(or_(AuditEntry.organisation == actor.organisation,
                   AuditEntry.account_id.in_(own_accounts)))
        .order_by(AuditEntry.id.desc()).limit(200)).all()
    g.uow.audit(actor, "view_audit")
    return render_template("audit.html", entries=entries,
                           actor=actor, account=g.account)


# --- the monthly figures: coordinators and oversight bodies ------------------------------------
@blueprint.get("/figures")
@signed_in
def figures_page() -> Any:
    """The suppressed monthly report (bot/figures/): every cell 1-4 hidden, complete months only."""
    if g.account.role not in (ROLE_COORDINATOR, ROLE_OVERSIGHT):
        abort(404)
    services = _services()
    first, last = requested_months(request.args.get("from"), request.args.get("to"))
    try:
        report = build_report(g.uow.session, services.settings.content_dir,
                              services.settings.jurisdiction, first, last)
    except ReportError as error:
        return f"{error}", 400
    g.uow.audit(g.actor, "view_figures", detail=f"{first[:7]}..{last[:7]}")
    g.figures_page = True
    return render_report_page(report)


# --- the admin's page: accounts (set-up only, no cases) -------------------------------------
@blueprint.get("/admin")
@signed_in
def admin_page() -> Any:
    if g.account.role != ROLE_ADMIN:
        abort(404)
    accounts = g.uow.session.scalars(select(ConsoleAccount).order_by(ConsoleAccount.id)).all()
    g.uow.audit(g.actor, "view_accounts")
    return render_template("admin.html", accounts=accounts, actor=g.actor, account=g.account)


@blueprint.post("/admin/account/<int:account_id>/active")
@signed_in
def admin_set_active(account_id: int) -> Any:
    """Disable or enable an account; disabling signs out its every session at once."""
    if g.account.role != ROLE_ADMIN or account_id == g.account.id:
        abort(404)
    target = g.uow.session.get(ConsoleAccount, account_id)
    if target is None:
        abort(404)
    target.active = request.form.get("active") == "1"
    if not target.active:
        target.session_version += 1
    g.uow.audit(g.actor, "account_enabled" if target.active else "account_disabled",
                detail=f"{target.username[:40]} ({target.role})")
    return redirect(url_for("console.admin_page"))
