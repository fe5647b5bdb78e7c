"""`qaportal mail ...` commands: send the outbox (once or as a worker), retry a message."""

from __future__ import annotations

import signal
import time
from types import FrameType

import click
from flask import current_app
from flask.cli import with_appcontext

from qaportal.audit.services import Actor


@click.group("mail")
def mail_group() -> None:
    """The email outbox."""


def _summary_line(summary: object) -> str:
    from qaportal.notifications.sender import SendSummary

    assert isinstance(summary, SendSummary)
    line = (
        f"Sent {summary.sent}, to retry later {summary.retrying}, failed for good {summary.failed}."
    )
    if summary.errors:
        line += " Errors: " + " | ".join(summary.errors[:3])
    return line


@mail_group.command("send")
@click.option("--loop", is_flag=True, help="Keep running as a worker, sending what falls due.")
@click.option(
    "--interval",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds between rounds with --loop.",
)
@click.option("--rounds", default=0, type=click.IntRange(min=0), hidden=True)
@with_appcontext
def mail_send(loop: bool, interval: float, rounds: int) -> None:
    """Send the queued messages that are due (retried with backoff)."""
    from qaportal.notifications.sender import MailSettings, send_due

    settings = MailSettings.from_config(current_app.config)
    make_session = current_app.extensions["qaportal.db"]
    if not loop:
        with make_session() as session:
            click.echo(_summary_line(send_due(session, settings)))
        return

    stopping = False

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    try:
        previous = signal.signal(signal.SIGTERM, _stop)
    except ValueError:  # not the main thread: Ctrl+C / the process manager stops us instead
        previous = None
    click.echo(
        f"Mail worker sending through {settings.host}:{settings.port} every {interval:g}s "
        "(Ctrl+C to stop)."
    )
    done = 0
    try:
        while not stopping:
            with make_session() as session:
                summary = send_due(session, settings)
            if summary.attempted:
                click.echo(_summary_line(summary))
            done += 1
            if rounds and done >= rounds:
                break
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    click.echo("Mail worker stopped.")


@mail_group.command("retry")
@click.argument("message_id", type=int)
@with_appcontext
def mail_retry(message_id: int) -> None:
    """Queue message MESSAGE_ID again (failed, or waiting after a failure), due now."""
    from qaportal.db import get_session
    from qaportal.notifications.models import OutboxMessage
    from qaportal.notifications.services import RetryError, retry_message

    session = get_session()
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise click.ClickException(f"there is no message {message_id} in the outbox")
    try:
        retry_message(session, message, Actor.system("cli"))
    except RetryError as exc:
        raise click.ClickException(
            f"message {message_id} is {message.status.value}: {exc}"
        ) from exc
    session.commit()
    click.echo(f"Message {message_id} to {message.to_address} is queued again.")
