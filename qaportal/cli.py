"""The ``qaportal`` command: Flask's CLI plus the portal's own commands."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from qaportal import create_app


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def main() -> None:
    """qaportal: quality-assurance workflow and accreditation portal for micro-credentials."""


# ----- database ---------------------------------------------------------------------------


@click.group("db")
def db_group() -> None:
    """Database schema and backups."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from qaportal import migrate

    migrate.upgrade(revision)
    click.echo(f"Database upgraded to {revision}.")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (e.g. -1 or base)."""
    from qaportal import migrate

    migrate.downgrade(revision)
    click.echo(f"Database downgraded to {revision}.")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the revision the database is at."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from qaportal import migrate
    from qaportal.db import get_engine

    # Through click rather than Alembic's own printing, which writes past click's output.
    with get_engine().connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    heads = set(ScriptDirectory.from_config(migrate.alembic_config()).get_heads())
    if not current:
        click.echo("The database has no schema yet: run `qaportal db upgrade`.")
    for revision in current:
        if revision in heads:
            click.echo(f"{revision} (head)")
        else:
            click.echo(f"{revision} (behind {', '.join(sorted(heads))}: run `qaportal db upgrade`)")


@db_group.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def db_backup(path: Path) -> None:
    """Write a consistent online copy of the SQLite database to PATH."""
    from qaportal.backup import BackupError, backup_sqlite

    try:
        pages = backup_sqlite(current_app.config["SQLALCHEMY_DATABASE_URI"], path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backup written to {path} ({pages} pages).")


# ----- demo -------------------------------------------------------------------------------


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Seed the demo data and exit.")
@with_appcontext
def demo(host: str, port: int, no_serve: bool) -> None:
    """Create the database, seed demo data, print the logins and start the server."""
    from qaportal import migrate
    from qaportal.demo import demo_base_url, prepare_serving, seed_all

    migrate.upgrade("head")
    summary = seed_all()
    for loaded in summary.frameworks:
        state = "loaded" if loaded.created else "unchanged"
        click.echo(f"Framework {loaded.code}: version {loaded.number} {state}.")
    if summary.case_reference:
        click.echo(f"Demo case {summary.case_reference} (a draft self-assessment).")
    if summary.stage_references:
        refs = ", ".join(summary.stage_references)
        click.echo(f"Demo cases {refs} (submitted, in review, at factual check, in follow-up).")
    if summary.campaign_id:
        click.echo(f"Demo feedback campaign {summary.campaign_id} (anonymous learner responses).")
    logins = summary
    click.echo("\nDemo logins (all share the password below):")
    click.echo(f"  password: {logins.password}")
    for login in logins.accounts:
        click.echo(f"  {login.role:<18} {login.email:<34} {login.organisation}")
    if no_serve:
        return
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    consumer = prepare_serving(app, host, port)
    click.echo(f"\nqaportal is running at {demo_base_url(host, port)}/  (Ctrl+C to stop)\n")
    # Not app.run(): Flask ignores that call inside its own command line (FLASK_RUN_FROM_CLI).
    from werkzeug.serving import run_simple

    try:
        run_simple(host, port, app, use_reloader=False, use_debugger=False, threaded=True)
    finally:
        if consumer is not None:
            consumer.stop()


# ----- background work --------------------------------------------------------------------


@click.command("worker")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker threads (default: QAPORTAL_QUEUE_WORKERS, 2).",
)
@with_appcontext
def worker(workers: int | None) -> None:
    """Run the task queue's consumer (document rendering and other background work)."""
    import logging

    from qaportal.tasks import QueueConfigError, run_consumer

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        run_consumer(app, workers or int(app.config.get("QUEUE_WORKERS") or 2))
    except QueueConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def register_commands(app: Flask) -> None:
    """The commands of no domain; each domain adds its own in its ``register(app)``
    (``qaportal.DOMAINS``), so this module names none."""
    for command in (db_group, demo, worker):
        app.cli.add_command(command)
