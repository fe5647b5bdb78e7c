"""`qaportal reminders`: due-soon and overdue reminders of stage due dates, and notices of
accreditations nearing their end."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("reminders")
@click.option(
    "--days",
    "days_ahead",
    default=7,
    show_default=True,
    type=click.IntRange(min=0, max=365),
    help="Remind of due dates this many days ahead.",
)
@with_appcontext
def reminders(days_ahead: int) -> None:
    """Send due-soon and overdue reminders of stage due dates, each once, through the outbox."""
    from qaportal.audit.services import Actor
    from qaportal.cases.deadlines import send_reminders
    from qaportal.db import get_session
    from qaportal.decisions.followup import send_expiry_notices

    session = get_session()
    run = send_reminders(session, Actor.system("cli"), days_ahead=days_ahead)
    session.commit()
    # Accreditations nearing their end: each announced once, the agency's notice ahead.
    expiring = send_expiry_notices(session, Actor.system("cli"))
    session.commit()
    click.echo(
        f"Reminders: {run.due_soon} due soon, {run.overdue} overdue, "
        f"{run.messages} message(s) queued; {expiring} expiring accreditation(s) announced."
    )
