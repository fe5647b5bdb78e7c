"""Alembic environment: runs against the URL that qaportal.migrate puts in the config."""

from __future__ import annotations

from alembic import context

from qaportal.db import make_engine
from qaportal.models import Base

config = context.config
target_metadata = Base.metadata


# PostgreSQL's full-text index of the register (0018) is on an expression, which models
# cannot declare portably.
EXPRESSION_INDEXES = {"ix_register_publications_search"}


def include_name(name, type_, parent_names) -> bool:  # type: ignore[no-untyped-def]
    """Search indexes that are no models (SQLite FTS5 tables, expression indexes) stay out
    of autogenerate."""
    from qaportal.catalogue.search import is_search_index_table

    if type_ == "index":
        return name not in EXPRESSION_INDEXES
    return not (type_ == "table" and is_search_index_table(name))


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url"))
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connectable)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
