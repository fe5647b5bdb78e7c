"""`qaportal mail ...` commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("mail")
def mail_group() -> None:
    """The email outbox."""


@mail_group.command("send")
@with_appcontext
def mail_send() -> None:
    """Send the queued messages that are due (retried with backoff)."""
    raise click.ClickException("not implemented yet")
