"""Engine creation and schema migrations, for SQLite and PostgreSQL alike."""

from __future__ import annotations

import math
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError

from syndicate.files import ensure_private_sqlite

MIGRATIONS = Path(__file__).parent / "migrations"


class StorageError(Exception):
    """The database cannot be reached or prepared; worded for the operator."""


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    # WAL lets `syndicate fetch` write while `syndicate run` serves; busy_timeout rides out the overlap.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    # 8 MB page cache (default 2 MB): with 100k articles the indexes no longer fit in 2 MB and
    # every insert and lookup went to the OS for pages (3.5x slower folding at 100k than at 1k).
    # Not more: every pooled connection fills its own cache (32 MB each took `syndicate run`
    # with 100k articles to 441 MB RSS), and the OS page cache holds the rest.
    cur.execute("PRAGMA cache_size=-8192")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            # Holds private keys and secrets: owner-only before SQLite first opens it.
            ensure_private_sqlite(Path(path.split("?", 1)[0]))
        # LIFO: a thread that uses the store call after call (ingest's writer) gets back the
        # connection it just returned, whose page cache is warm. FIFO handed it the idle one
        # that another thread used last; in WAL mode a connection drops its whole cache when
        # another connection has written since its last read, so every writer job started cold.
        engine = create_engine(url, connect_args={"timeout": 30}, pool_use_lifo=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # LIFO here too: the connection given back last is taken first, so under a steady load the
    # few in use stay under PING_IDLE and are not pinged; the rest idle at the bottom.
    engine = create_engine(url, pool_size=10, max_overflow=10, pool_use_lifo=True)
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


# A pooled PostgreSQL connection unused for longer than this is pinged before use, so one the
# server dropped meanwhile (a restart, an idle timeout) is replaced instead of failing a
# transaction. pool_pre_ping pinged on every checkout: a round trip per transaction, and for
# the delivery service's threads one more hand-over of the GIL with the senders (a fan-out's
# rate rose 5-10 % without it). A connection given back less than a second ago is trusted.
PING_IDLE = 1.0


def _note_checkin(_dbapi_conn, record) -> None:  # type: ignore[no-untyped-def]
    record.info["checked_in"] = time.monotonic()


def _ping_if_idle(dbapi_conn, record, _proxy) -> None:  # type: ignore[no-untyped-def]
    if time.monotonic() - record.info.get("checked_in", -math.inf) < PING_IDLE:
        return
    try:
        before, dbapi_conn.autocommit = dbapi_conn.autocommit, True  # opens no transaction
        try:
            with dbapi_conn.cursor() as cursor:
                cursor.execute("SELECT 1")
        finally:
            if not dbapi_conn.closed:
                dbapi_conn.autocommit = before
    except Exception as exc:  # the pool throws this connection away and opens another
        raise DisconnectionError(f"pooled connection is gone: {exc}") from exc


def alembic_config(engine_conn: object) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = engine_conn
    return cfg


# Any fixed 64-bit number; every node of one PostgreSQL database takes the same one.
MIGRATION_LOCK = 0x53594E4449434154  # "SYNDICAT"


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe to run on every start and from several processes.

    Nodes started together on one PostgreSQL database would each see "no alembic_version" and
    all run the migrations (one then dies on a unique violation). A transaction-scoped advisory
    lock makes them take turns: the first migrates, the others wait, then find the schema at
    head and do nothing. SQLite: the first DDL statement takes the database write lock."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        command.upgrade(alembic_config(conn), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def check_connection(engine: Engine, url: str) -> None:
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except SQLAlchemyError as exc:
        # DBAPI errors wrap the driver's own exception, whose text is the useful part.
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StorageError(f"cannot open storage {redact(url)}: {reason}") from None


def redact(url: str) -> str:
    """Hide a password in a database URL before it reaches a log line."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        if ":" in creds:
            creds = creds.split(":", 1)[0] + ":***"
        return f"{scheme}://{creds}@{host}"
    return url
