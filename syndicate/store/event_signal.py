"""A wake-up for followers of article_events: "new events were committed, look now".

Followers (delivery, WebSub) still read the events themselves from their stored position; this
only tells them when, so a new article goes out at once instead of at the next poll, and an
idle node polls rarely.

- In this process, on either database: a transaction that added events marks its connection
  (`mark`), and the signal fires when the connection goes back to the pool, after the commit.
- On PostgreSQL, also from other processes and nodes: the transaction that adds an event runs
  `pg_notify` (delivered at commit, folded into one per transaction) on a channel named after
  the schema, and one daemon thread per process LISTENs on its own connection. If that
  connection drops it reconnects with backoff and fires once (an event may have been missed).
- On SQLite another process's commit is not seen: followers keep peeking on a short timer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, event

from syndicate import backoff

log = logging.getLogger("syndicate.store")

CHANNEL = "syndicate_events:"  # + the schema name: one channel per database schema
_MARK = "syndicate_event_added"
RECONNECT = backoff.Backoff(base=1, cap=30, first=0)


# What a PostgreSQL transaction that adds an event selects (NOTIFY is sent on commit).
NOTIFY = f"pg_notify('{CHANNEL}' || current_schema(), '')"


def mark(conn: Connection) -> None:
    """This transaction added events: fire the signal once its connection is given back."""
    conn.info[_MARK] = True


class EventSignal:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._subscribers: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        event.listen(engine, "checkin", self._checked_in)

    @property
    def cross_process(self) -> bool:
        """True when commits by other processes fire it too (PostgreSQL's LISTEN/NOTIFY)."""
        return self.engine.dialect.name == "postgresql"

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` (from any thread; it must be quick and thread-safe) after each commit
        that added events; returns the function that unsubscribes."""
        with self._lock:
            self._subscribers.append(callback)
            if self.cross_process and self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._listen, name="event-listener", daemon=True
                )
                self._thread.start()

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def fire(self) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback()
            except Exception:  # one subscriber's bug must not starve the others
                log.exception("event signal: a subscriber failed")

    def close(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5.0)  # it looks at the stop flag at least once a second

    def _checked_in(self, _dbapi_conn: Any, record: Any) -> None:
        if record.info.pop(_MARK, False):
            self.fire()

    def _listen(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                conn = self._connect()
            except Exception as exc:
                failures += 1
                if failures == 1:
                    log.warning("event signal: cannot listen (%s); retrying", exc)
                self._stop.wait(RECONNECT.seconds(failures))
                continue
            try:
                if failures:
                    self.fire()  # events may have been committed while we were not listening
                failures = 0
                while not self._stop.is_set():
                    for _note in conn.notifies(timeout=1.0):
                        self.fire()
            except Exception as exc:
                failures += 1
                log.warning("event signal: listening connection lost (%s); reconnecting", exc)
                self._stop.wait(RECONNECT.seconds(failures))
            finally:
                conn.close()

    def _connect(self) -> Any:
        """A connection of its own (not from the pool: it is held for as long as we listen)."""
        cargs, cparams = self.engine.dialect.create_connect_args(self.engine.url)
        conn = self.engine.dialect.loaded_dbapi.connect(*cargs, **cparams)
        conn.autocommit = True
        schema = conn.execute("SELECT current_schema()").fetchone()[0]
        channel = (CHANNEL + schema).replace('"', '""')
        conn.execute(f'LISTEN "{channel}"')
        return conn
