"""Wake-ups from the store: "something was committed, look now", so followers need not poll fast.

Two signals, one mechanism (`Store.signals`):
- `events`: new article_events rows (the delivery poller, WebSub and the feed cache wake);
- `sources_due`: a source was made due now (a WebSub push or a reload: the scheduler wakes).

Followers still read what changed themselves (events after their stored position, due sources
from source_leases); a signal only says when.

- In this process, on either database: a transaction marks its connection (`mark`), and the
  signal fires when the connection goes back to the pool, after the commit.
- On PostgreSQL, also from other processes and nodes: the transaction runs `pg_notify` (sent
  at commit, repeats folded into one) on a channel named after the signal and the schema, and
  one daemon thread per process LISTENs to all of them on its own connection. If that
  connection drops it reconnects with backoff and fires every signal once (one may have been
  missed meanwhile).
- On SQLite another process's commit is not heard: followers keep a short timer there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, event

from syndicate import backoff

log = logging.getLogger("syndicate.store")

EVENTS, SOURCES_DUE = "events", "sources_due"
_MARK = "syndicate_signals"  # connection info key: the signals a transaction raised
RECONNECT = backoff.Backoff(base=1, cap=30, first=0)
LOOK_EVERY = 0.25  # seconds the listener waits for a notification before it looks at its stop flag


def channel(name: str, schema: str) -> str:
    return f"syndicate:{name}:{schema}"  # one channel per signal and database schema


def notify(name: str) -> str:
    """The SQL expression a PostgreSQL transaction selects to raise `name` on commit."""
    return f"pg_notify('syndicate:{name}:' || current_schema(), '')"


def mark(conn: Connection, name: str) -> None:
    """This transaction raised `name`: fire it once the connection is given back."""
    conn.info.setdefault(_MARK, set()).add(name)


class Signal:
    """One named wake-up; `subscribe(callback)` is called after each commit that raised it."""

    def __init__(self, name: str, cross_process: bool, start_listening: Callable[[], None]):
        self.name = name
        self.cross_process = cross_process  # True: other processes' commits fire it too
        self._start_listening = start_listening
        self._subscribers: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` (from any thread; it must be quick and thread-safe) after each
        commit that raised this signal; returns the function that unsubscribes."""
        with self._lock:
            self._subscribers.append(callback)
        self._start_listening()

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
                log.exception("store signal %s: a subscriber failed", self.name)


class Signals:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        cross = engine.dialect.name == "postgresql"
        self.events = Signal(EVENTS, cross, self._start)
        self.sources_due = Signal(SOURCES_DUE, cross, self._start)
        self._by_name = {s.name: s for s in (self.events, self.sources_due)}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        event.listen(engine, "checkin", self._checked_in)

    def close(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=2.0)  # it looks at the stop flag every LOOK_EVERY s

    def _start(self) -> None:
        """Listen for other processes' commits (PostgreSQL), from the first subscription on."""
        if self.engine.dialect.name != "postgresql":
            return
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._listen, name="store-signals", daemon=True
                )
                self._thread.start()

    def _checked_in(self, _dbapi_conn: Any, record: Any) -> None:
        for name in record.info.pop(_MARK, ()):
            self._by_name[name].fire()

    def _listen(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                conn, channels = self._connect()
            except Exception as exc:
                failures += 1
                if failures == 1:
                    log.warning("store signals: cannot listen (%s); retrying", exc)
                self._stop.wait(RECONNECT.seconds(failures))
                continue
            try:
                if failures:  # something may have been committed while we were not listening
                    log.info("store signals: listening again")
                    for signal in self._by_name.values():
                        signal.fire()
                failures = 0
                while not self._stop.is_set():
                    for note in conn.notifies(timeout=LOOK_EVERY):
                        heard = channels.get(note.channel)
                        if heard is not None:
                            heard.fire()
            except Exception as exc:
                failures += 1
                log.warning("store signals: listening connection lost (%s); reconnecting", exc)
                self._stop.wait(RECONNECT.seconds(failures))
            finally:
                conn.close()

    def _connect(self) -> tuple[Any, dict[str, Signal]]:
        """A connection of its own (not from the pool: it is held for as long as we listen)."""
        cargs, cparams = self.engine.dialect.create_connect_args(self.engine.url)
        conn = self.engine.dialect.loaded_dbapi.connect(*cargs, **cparams)
        conn.autocommit = True
        schema = conn.execute("SELECT current_schema()").fetchone()[0]
        channels = {channel(name, schema): s for name, s in self._by_name.items()}
        for name in channels:
            conn.execute('LISTEN "{}"'.format(name.replace('"', '""')))
        return conn, channels
