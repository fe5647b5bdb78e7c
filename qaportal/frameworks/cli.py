"""`qaportal forms ...`: check and load the definition files of ``forms/``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("forms")
def forms_group() -> None:
    """Criteria frameworks and questionnaires defined as data in forms/."""


def _extra_dir() -> str | None:
    return current_app.config.get("FORMS_EXTRA_DIR") or None


@forms_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--strict",
    is_flag=True,
    help="Also fail (status 1) when a text lacks a translation into a portal language.",
)
@with_appcontext
def forms_check(paths: tuple[Path, ...], strict: bool) -> None:
    """Check definition files (default: forms/ and QAPORTAL_FORMS_EXTRA_DIR).

    Reports every error as FILE:LINE: PATH: REASON and exits with status 1 if there is any.
    Then lists, per file, every text without a translation into each language the portal
    offers (LANGUAGES); those are shown in the file's own language meanwhile, so they fail
    the check only with --strict.
    """
    from qaportal.frameworks.loader import all_errors, check_paths, translation_gaps

    results = check_paths(paths or None, extra_dir=_extra_dir())
    if not results:
        click.echo("No definition files found.", err=True)
        sys.exit(1)
    errors = all_errors(results)
    for error in errors:
        click.echo(str(error), err=True)
    bad = sum(1 for r in results if not r.ok)
    if errors:
        click.echo(f"{len(errors)} error(s) in {bad} of {len(results)} file(s).", err=True)
        sys.exit(1)
    languages = list(current_app.config.get("LANGUAGES") or [])
    gaps = 0
    for result in results:
        missing = translation_gaps(result, languages)
        gaps += len(missing)
        for gap in missing:
            click.echo(str(gap), err=True)
        click.echo(f"ok  {result.name}" + (f"  ({len(missing)} missing translation(s))"
                                           if missing else ""))  # fmt: skip
    click.echo(f"{len(results)} file(s) checked, no errors.")
    if gaps:
        click.echo(
            f"{gaps} missing translation(s) (languages: {', '.join(languages)}).",
            err=True,
        )
        if strict:
            sys.exit(1)


@forms_group.command("load")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@with_appcontext
def forms_load(paths: tuple[Path, ...]) -> None:
    """Load definition files (default: forms/ and QAPORTAL_FORMS_EXTRA_DIR) into the database.

    A file identical to a loaded version changes nothing; a changed file becomes a new
    version. Older versions of a form gain its translations of every criterion, section
    or question whose base-language text is unchanged (ongoing cases follow the language).
    If any file has an error, nothing is loaded.
    """
    from qaportal.audit.services import Actor
    from qaportal.db import get_session
    from qaportal.frameworks.services import FormsInvalid, load_forms

    session = get_session()
    try:
        results = load_forms(
            session, Actor.system("cli"), paths=paths or None, extra_dir=_extra_dir()
        )
    except FormsInvalid as exc:
        session.rollback()
        for error in exc.errors:
            click.echo(str(error), err=True)
        click.echo(f"{len(exc.errors)} error(s): nothing was loaded.", err=True)
        sys.exit(1)
    session.commit()
    if not results:
        click.echo("No definition files found.", err=True)
        sys.exit(1)
    for r in results:
        state = "loaded as new version" if r.created else "unchanged, version"
        size = f"{r.criteria} criteria" if r.kind == "criteria" else r.kind
        click.echo(f"{r.code:<32} {state} {r.number} ({size})  {r.source_file}")
        if r.carried:
            click.echo(
                f"{'':<32} its translations given to {r.carried} older version(s) "
                "where their texts are unchanged"
            )


@forms_group.command("list")
@with_appcontext
def forms_list() -> None:
    """List the loaded frameworks and their versions."""
    from sqlalchemy import select

    from qaportal.db import get_session
    from qaportal.frameworks.models import Framework

    session = get_session()
    frameworks = session.scalars(select(Framework).order_by(Framework.code)).all()
    if not frameworks:
        click.echo("No frameworks loaded (run `qaportal forms load`).")
        return
    for framework in frameworks:
        owner = framework.owner_agency.display_name if framework.owner_agency else "shipped"
        click.echo(f"{framework.code}  [{framework.kind.value}, {owner}]")
        for version in framework.versions:
            loaded = version.loaded_at.strftime("%Y-%m-%d %H:%M")
            size = f"{len(version.criteria):>3} criteria" if version.criteria else "           "
            click.echo(
                f"  v{version.number}  {version.edition or '-':<8} {version.content_hash[:12]}"
                f"  {size}  {loaded}  {version.source_file or ''}"
            )
