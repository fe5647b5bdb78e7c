"""`qaportal audit verify`: check the hash chain of the audit trail."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


@click.group("audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Check the hash chain of the audit trail; report the first broken link."""
    from qaportal.audit.services import close_windows, verify_chain
    from qaportal.db import get_session

    db = get_session()
    if close_windows(db):  # repeats whose window has ended join the chain first
        db.commit()
    report = verify_chain(db)
    if report.ok:
        click.echo(f"Audit trail intact: {report.checked} events verified.")
        return
    click.echo(
        f"Audit trail BROKEN at event {report.broken_event_id}: {report.reason} "
        f"({report.checked} events before it are intact).",
        err=True,
    )
    sys.exit(1)
