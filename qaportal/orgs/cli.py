"""`qaportal create-admin`: the first agency administrator of a new installation."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--agency", "agency_name", required=True, help="Legal name of the agency.")
@click.option("--country", default=None, help="ISO 3166-1 alpha-2 code of the agency.")
@click.password_option("--password", help="Prompted for when not given.")
@with_appcontext
def create_admin(
    email: str, display_name: str, agency_name: str, country: str | None, password: str
) -> None:
    """Create the first agency administrator (there is no default password)."""
    from qaportal.audit.services import Actor
    from qaportal.auth.passwords import password_problem
    from qaportal.db import get_session
    from qaportal.orgs.services import AdminExists, create_agency_admin

    problem = password_problem(password, email=email)
    if problem:
        raise click.ClickException(problem)
    session = get_session()
    try:
        user = create_agency_admin(
            session, email, display_name, password, agency_name, country, Actor.system("cli")
        )
    except AdminExists as exc:
        raise click.ClickException(str(exc)) from exc
    session.commit()
    click.echo(f"Agency administrator {user.email} created.")
