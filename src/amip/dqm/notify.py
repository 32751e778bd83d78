"""Notifications about new data-quality tasks: in the app, and by e-mail when SMTP is configured.

One summary per run and user: an IFK hears about the new tasks assigned to their caseload that
the IFK is responsible for, a team lead about the new tasks of the team that the team (or the
Leistungsbereich through the team) is responsible for. Texts contain counts and a link only,
never person data. E-mail goes out only when ``AMIP_SMTP_HOST`` is set and the user has an
address; delivery errors are logged (without addresses' contents beyond the user name) and do not
fail the run.

Settings (environment): ``AMIP_SMTP_HOST``, ``AMIP_SMTP_PORT`` [25], ``AMIP_SMTP_USER``,
``AMIP_SMTP_PASSWORD``, ``AMIP_SMTP_FROM`` [amip@localhost], ``AMIP_SMTP_STARTTLS`` [0];
``AMIP_BASE_URL`` [http://localhost:8000] for the link in the mail.
"""

from __future__ import annotations

import logging
import os
import smtplib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from amip.dqm.models import Notification
from amip.state.models import User, aware

log = logging.getLogger(__name__)
LINK = "/aufgaben"


@dataclass(frozen=True)
class Mail:
    user_name: str
    to: str
    subject: str
    body: str


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    sender: str = "amip@localhost"
    starttls: bool = False

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        host = os.environ.get("AMIP_SMTP_HOST", "").strip()
        if not host:
            return None
        return cls(
            host=host,
            port=int(os.environ.get("AMIP_SMTP_PORT", "25") or 25),
            user=os.environ.get("AMIP_SMTP_USER") or None,
            password=os.environ.get("AMIP_SMTP_PASSWORD") or None,
            sender=os.environ.get("AMIP_SMTP_FROM") or "amip@localhost",
            starttls=os.environ.get("AMIP_SMTP_STARTTLS", "") in ("1", "true", "yes"),
        )


def _text(n: int, data_month: str) -> str:
    y, m = data_month.split("-")
    what = "neue Datenqualitäts-Aufgabe" if n == 1 else "neue Datenqualitäts-Aufgaben"
    return f"DQM-Lauf (Datenstand {m}/{y}): {n} {what} in Ihrem Bereich."


def notify_new_tasks(
    db: Session, new: list[tuple[str, str | None, str | None]], data_month: str, now: datetime | None = None
) -> tuple[list[Mail], int]:
    """One notification per user with new tasks; ``new`` = (responsible, caseworker_id, team_id) per new
    task. Returns the e-mails to send (users with an address) and the number of notifications."""
    now = aware(now)
    per_ifk = Counter(cw for resp, cw, _ in new if resp == "ifk" and cw)
    per_team = Counter(team for resp, _, team in new if resp in ("team", "leistung") and team)
    if not per_ifk and not per_team:
        return [], 0
    users = db.scalars(
        select(User)
        .where(
            or_(
                (User.role == "ifk") & User.caseworker_id.in_(list(per_ifk) or [""]),
                (User.role == "teamleitung") & User.team_id.in_(list(per_team) or [""]),
            )
        )
        .order_by(User.name)
    ).all()
    mails, count = [], 0
    base = os.environ.get("AMIP_BASE_URL", "http://localhost:8000").rstrip("/")
    for user in users:
        n = per_ifk[user.caseworker_id] if user.role == "ifk" else per_team[user.team_id]
        if n <= 0:
            continue
        text = _text(n, data_month)
        db.add(Notification(user_id=user.id, text=text, link=LINK, created_at=now))
        count += 1
        if user.email:
            body = (
                f"Guten Tag,\n\n{text}\n\nBitte sehen Sie im amip-Cockpit nach: {base}{LINK}\n\n"
                "Diese Nachricht enthält keine personenbezogenen Daten.\n"
            )
            mails.append(Mail(user.name, user.email, "amip: neue Datenqualitäts-Aufgaben", body))
    db.flush()
    return mails, count


def send_mails(mails: list[Mail], settings: SmtpSettings | None = None) -> int:
    """Deliver ``mails`` through the configured SMTP server; returns how many were accepted.
    Without settings (``AMIP_SMTP_HOST`` unset) nothing is sent. Errors are logged, never raised."""
    settings = settings or SmtpSettings.from_env()
    if settings is None or not mails:
        return 0
    sent = 0
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=30) as smtp:
            if settings.starttls:
                smtp.starttls()
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            for mail in mails:
                msg = EmailMessage()
                msg["From"], msg["To"], msg["Subject"] = settings.sender, mail.to, mail.subject
                msg.set_content(mail.body)
                try:
                    smtp.send_message(msg)
                    sent += 1
                except smtplib.SMTPException as exc:
                    log.warning("DQM e-mail to user %s not delivered: %s", mail.user_name, type(exc).__name__)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("DQM e-mail: SMTP server %s:%s not usable: %s", settings.host, settings.port, type(exc).__name__)
    return sent


def unread(db: Session, user_name: str, limit: int = 20) -> list[Notification]:
    return list(
        db.scalars(
            select(Notification)
            .join(User, User.id == Notification.user_id)
            .where(User.name == user_name, Notification.read_at.is_(None))
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def unread_count(db: Session, user_name: str) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(Notification)
            .join(User, User.id == Notification.user_id)
            .where(User.name == user_name, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(db: Session, user_name: str, now: datetime | None = None) -> int:
    """Mark all of the user's notifications read; returns how many."""
    uid = db.scalar(select(User.id).where(User.name == user_name))
    if uid is None:
        return 0
    res = db.execute(
        update(Notification)
        .where(Notification.user_id == uid, Notification.read_at.is_(None))
        .values(read_at=aware(now)),
        execution_options={"synchronize_session": False},
    )
    db.flush()
    return res.rowcount or 0
