"""Alembic environment for jsdesk.

jsdesk runs migrations itself on open, handing over its (encrypted) connection
in ``config.attributes["connection"]``. ``python -m jsdesk.storage.check_migrations``
(CI: ``alembic check``) sets ``sqlalchemy.url`` to a scratch database instead.
SQLite needs batch mode to alter tables. ``config.attributes["include_object"]`` (set
by ``check_migrations.compare``) limits what autogenerate compares.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from jsdesk.storage.models import Base

target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=context.config.attributes.get("include_object"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection and no sqlalchemy.url for the migrations")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            run_with(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("jsdesk migrations run online only")
run_migrations_online()
