"""Where durable executions live: one small interface, and SQLite (standard library, WAL) behind it.

A store holds, per execution, its definition, input and options; its history events, appended
in groups (one transaction per group); the answers to its task tokens; and a lease that lets
one process at a time run it. `open_store("asl.db")` (or `sqlite:///path`) opens or creates one;
its schema is versioned (`PRAGMA user_version`) and migrates itself forward when opened.

Every failure to use a store is one `StoreError` with a plain message: a file that is not an
asl store, a schema newer than this library, a locked or read-only file. Each write is one
transaction: a failed one leaves nothing half written.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, Protocol
from urllib.parse import unquote, urlparse

from .context import JSON
from .errors import AslError

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "ExecutionRecord",
    "ExecutionExists",
    "Store",
    "StoreError",
    "StoredEvent",
    "TokenAnswer",
    "open_store",
]

# "ASL1": marks a SQLite file as an asl store (PRAGMA application_id), so another program's
# database is refused instead of being written into.
APPLICATION_ID: Final = 0x41534C31


class StoreError(AslError):
    """A store cannot be opened, read or written: the reason, in one plain sentence."""


class ExecutionExists(AslError):
    """ExecutionAlreadyExists: the name is taken by an execution with another input or definition."""

    error: Final = "ExecutionAlreadyExists"


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One history event as stored: its id, the thread of control (`lane`) it belongs to, the
    id it follows, its time, its type and details, and the digest chaining it to the one before."""

    id: int
    lane: str
    previous: int
    timestamp: float
    type: str
    details: dict[str, JSON] | None
    digest: str


@dataclass(frozen=True, slots=True)
class ExecutionRecord:
    """One stored execution: what it runs, on what, and how it stands."""

    name: str
    definition: str
    input: JSON
    options: dict[str, JSON]
    status: str
    output: JSON
    error: str | None
    cause: str | None
    start_time: float
    stop_time: float | None
    events: int


@dataclass(frozen=True, slots=True)
class TokenAnswer:
    """What a worker answered for a task token: success (`output`), failure, or only heartbeats."""

    token: str
    execution: str
    outcome: str | None  # "success" | "failure" | None (no answer yet)
    output: JSON
    error: str
    cause: str
    heartbeats: int


def chain(previous: str, event_id: int, lane: str, prior: int, timestamp: float, kind: str, details: str) -> str:
    """The digest of one event, over the digest of the event before it: a history edited by hand
    (an event changed, removed or inserted) no longer matches its chain."""
    text = f"{previous}|{event_id}|{lane}|{prior}|{timestamp!r}|{kind}|{details}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class Store(Protocol):
    """What durable executions need of a store. Each method is one transaction."""

    location: str

    def create(
        self,
        name: str,
        definition: str,
        input: JSON,  # noqa: A002 - the ASL word
        options: dict[str, JSON],
        start_time: float,
    ) -> ExecutionRecord:
        """Record a new execution, or return the one of that name when it has the same definition
        and input (the same request made again); raises ExecutionExists otherwise."""
        ...

    def get(self, name: str) -> ExecutionRecord | None: ...

    def executions(self) -> list[ExecutionRecord]: ...

    def history(self, name: str) -> list[StoredEvent]:
        """The stored events of an execution, oldest first, their digest chain checked (StoreError)."""
        ...

    def append(
        self,
        name: str,
        events: Sequence[tuple[int, str, int, float, str, dict[str, JSON] | None]],
        *,
        tokens: Sequence[tuple[str, str]] = (),
        closed_tokens: Sequence[str] = (),
        end: tuple[str, JSON, str | None, str | None, float] | None = None,
    ) -> None:
        """One group: events (id, lane, previous, time, type, details) after those stored, tokens
        handed out (token, state), tokens no longer awaited, and how the execution ended."""
        ...

    def answer(self, token: str, outcome: str, output: JSON = None, error: str = "", cause: str = "") -> str:
        """Record a worker's answer for a token (outcome "success", "failure" or "heartbeat");
        returns the execution's name. Raises StoreError for a token no execution awaits."""
        ...

    def answers(self, tokens: Sequence[str]) -> list[TokenAnswer]: ...

    def lease(self, name: str, owner: str, seconds: float) -> None:
        """Take or renew the right to run `name`; StoreError when a live process holds it."""
        ...

    def release(self, name: str, owner: str) -> None: ...

    def close(self) -> None: ...


def open_store(location: str | os.PathLike[str]) -> Store:
    """Open (creating or migrating as needed) the store at a path, `sqlite:///path` or
    `postgresql://...`; raises StoreError."""
    text = os.fspath(location)
    if text.startswith(("postgresql://", "postgres://")):
        raise StoreError(f"{_shown(text)}: PostgreSQL stores are not supported yet; use a SQLite path")
    if text.startswith("sqlite:"):
        parsed = urlparse(text)
        text = unquote(parsed.path) if parsed.netloc in ("", "localhost") else ""
        if not text:
            raise StoreError(f"{location}: a SQLite URL is sqlite:///path/to/file.db")
    return SqliteStore(text)


def _shown(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:  # never print a password
        return url.replace(f":{parsed.password}@", ":***@")
    return url


# One entry per schema version: the statements that take a store from the version before to it.
MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    (
        """CREATE TABLE executions (
            name TEXT PRIMARY KEY, definition TEXT NOT NULL, input TEXT NOT NULL, options TEXT NOT NULL,
            status TEXT NOT NULL, output TEXT, error TEXT, cause TEXT,
            start_time REAL NOT NULL, stop_time REAL,
            events INTEGER NOT NULL DEFAULT 0, digest TEXT NOT NULL DEFAULT '',
            lease_owner TEXT, lease_until REAL)""",
        """CREATE TABLE events (
            execution TEXT NOT NULL, id INTEGER NOT NULL, lane TEXT NOT NULL, previous INTEGER NOT NULL,
            timestamp REAL NOT NULL, type TEXT NOT NULL, details TEXT, digest TEXT NOT NULL,
            PRIMARY KEY (execution, id)) WITHOUT ROWID""",
        """CREATE TABLE tokens (
            token TEXT PRIMARY KEY, execution TEXT NOT NULL, state TEXT NOT NULL, open INTEGER NOT NULL,
            outcome TEXT, answer TEXT)""",
    ),
    (  # 2: heartbeats are counted, so a waiting Task sees each one once
        "ALTER TABLE tokens ADD COLUMN heartbeats INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX tokens_by_execution ON tokens (execution)",
    ),
)
SCHEMA_VERSION: Final = len(MIGRATIONS)


_dumps: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode  # one encoder, made once


class SqliteStore:
    """A store in one SQLite file (WAL mode: readers never wait for the writer)."""

    def __init__(self, path: str, *, busy_seconds: float = 5.0) -> None:
        self.location = path
        if os.path.isdir(path):
            raise StoreError(f"{path}: is a folder, not an asl store")
        try:
            self._db = sqlite3.connect(path, timeout=busy_seconds, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as error:
            raise StoreError(f"{path}: cannot be opened: {error}") from None
        try:
            self._prepare()
        except BaseException:
            self._db.close()
            raise

    def _prepare(self) -> None:
        with self._failures("opened"):
            application = self._db.execute("PRAGMA application_id").fetchone()[0]
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if application != APPLICATION_ID:
                tables = self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                if application != 0 or tables:
                    raise StoreError(f"{self.location}: is a SQLite database, but not an asl store")
            elif version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.location}: its schema (version {version}) is newer than this asl understands "
                    f"(version {SCHEMA_VERSION}); upgrade asl to use it"
                )
            if self._db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                self._db.execute("PRAGMA journal_mode=WAL")
            # A commit is durable against the process being killed; a power loss may lose the last
            # groups (WAL keeps their order, so what remains is a prefix and resumes at least once).
            self._db.execute("PRAGMA synchronous=NORMAL")
            if version < SCHEMA_VERSION:
                self._migrate()

    def _migrate(self) -> None:
        with self._transaction():  # all versions or none: a failed migration leaves the old schema
            version = self._db.execute("PRAGMA user_version").fetchone()[0]  # read again, under the lock
            if version == 0:
                self._db.execute(f"PRAGMA application_id={APPLICATION_ID}")
            for statements in MIGRATIONS[version:]:
                for statement in statements:
                    self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextmanager
    def _failures(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            raise StoreError(f"{self.location}: cannot be {doing}: {_reason(error)}") from None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._failures("written"):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    # -- executions -------------------------------------------------------------------------

    def create(
        self,
        name: str,
        definition: str,
        input: JSON,  # noqa: A002 - the ASL word
        options: dict[str, JSON],
        start_time: float,
    ) -> ExecutionRecord:
        with self._transaction() as db:
            existing = self._get(name)
            if existing is not None:
                if existing.definition != definition or existing.input != input:
                    what = "input" if existing.definition == definition else "definition"
                    raise ExecutionExists(f"Execution Already Exists: '{name}' (started with another {what})")
                return existing
            db.execute(
                "INSERT INTO executions (name, definition, input, options, status, start_time) VALUES (?,?,?,?,?,?)",
                (name, definition, _dumps(input), _dumps(options), "RUNNING", start_time),
            )
        record = self.get(name)
        assert record is not None
        return record

    def get(self, name: str) -> ExecutionRecord | None:
        with self._failures("read"):
            return self._get(name)

    def _get(self, name: str) -> ExecutionRecord | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM executions WHERE name = ?", (name,)).fetchone()
        return None if row is None else _record(row)

    def executions(self) -> list[ExecutionRecord]:
        with self._failures("read"):
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM executions ORDER BY start_time, name").fetchall()
        return [_record(row) for row in rows]

    def history(self, name: str) -> list[StoredEvent]:
        with self._failures("read"):
            self._db.execute("BEGIN")
            try:
                rows = self._db.execute(
                    "SELECT id, lane, previous, timestamp, type, details, digest FROM events "
                    "WHERE execution = ? ORDER BY id",
                    (name,),
                ).fetchall()
                head = self._db.execute("SELECT events, digest FROM executions WHERE name = ?", (name,)).fetchone()
            finally:
                self._db.execute("COMMIT")
        events: list[StoredEvent] = []
        digest = ""
        for expected, (event_id, lane, previous, timestamp, kind, details, stored) in enumerate(rows, 1):
            digest = chain(digest, event_id, lane, previous, timestamp, kind, details or "")
            if event_id != expected or digest != stored:
                raise StoreError(f"{self.location}: the history of '{name}' was altered at event {expected}")
            loaded = _loads(details)
            events.append(StoredEvent(event_id, lane, previous, timestamp, kind, loaded, stored))
        if head is not None and (head[0], head[1]) != (len(events), digest):
            raise StoreError(f"{self.location}: the history of '{name}' was altered after event {len(events)}")
        return events

    def append(
        self,
        name: str,
        events: Sequence[tuple[int, str, int, float, str, dict[str, JSON] | None]],
        *,
        tokens: Sequence[tuple[str, str]] = (),
        closed_tokens: Sequence[str] = (),
        end: tuple[str, JSON, str | None, str | None, float] | None = None,
    ) -> None:
        with self._transaction() as db:
            count, digest = db.execute("SELECT events, digest FROM executions WHERE name = ?", (name,)).fetchone()
            rows = []
            for event_id, lane, previous, timestamp, kind, details in events:
                if event_id != count + 1:
                    raise StoreError(f"{self.location}: event {event_id} of '{name}' does not follow event {count}")
                text = "" if details is None else _dumps(details)
                digest = chain(digest, event_id, lane, previous, timestamp, kind, text)
                rows.append((name, event_id, lane, previous, timestamp, kind, text or None, digest))
                count = event_id
            db.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?,?)", rows)
            db.execute("UPDATE executions SET events = ?, digest = ? WHERE name = ?", (count, digest, name))
            db.executemany(
                "INSERT OR IGNORE INTO tokens (token, execution, state, open) VALUES (?,?,?,1)",
                [(token, name, state) for token, state in tokens],
            )
            db.executemany("UPDATE tokens SET open = 0 WHERE token = ?", [(token,) for token in closed_tokens])
            if end is not None:
                status, output, error, cause, stopped = end
                db.execute(
                    "UPDATE executions SET status=?, output=?, error=?, cause=?, stop_time=?, lease_owner=NULL "
                    "WHERE name=?",
                    (status, _dumps(output), error, cause, stopped, name),
                )
                db.execute("UPDATE tokens SET open = 0 WHERE execution = ?", (name,))

    # -- task tokens ------------------------------------------------------------------------

    def answer(self, token: str, outcome: str, output: JSON = None, error: str = "", cause: str = "") -> str:
        with self._transaction() as db:
            row = db.execute("SELECT execution, open, outcome FROM tokens WHERE token = ?", (token,)).fetchone()
            if row is None:
                raise StoreError(f"Invalid token: {token}: no execution in {self.location} handed it out")
            execution, still_open, answered = row
            if not still_open or answered is not None:
                raise StoreError(f"Task Timed Out: {token}: the Task no longer waits for it")
            if outcome == "heartbeat":
                db.execute("UPDATE tokens SET heartbeats = heartbeats + 1 WHERE token = ?", (token,))
            else:
                body: JSON = output if outcome == "success" else {"error": error, "cause": cause}
                db.execute("UPDATE tokens SET outcome = ?, answer = ? WHERE token = ?", (outcome, _dumps(body), token))
        return str(execution)

    def answers(self, tokens: Sequence[str]) -> list[TokenAnswer]:
        found: list[TokenAnswer] = []
        with self._failures("read"):
            for token in tokens:
                row = self._db.execute(
                    "SELECT execution, outcome, answer, heartbeats FROM tokens WHERE token = ?", (token,)
                ).fetchone()
                if row is None:
                    continue
                execution, outcome, answer, heartbeats = row
                body = _loads(answer)
                if outcome == "failure" and isinstance(body, dict):
                    error, cause = str(body.get("error") or ""), str(body.get("cause") or "")
                    found.append(TokenAnswer(token, execution, outcome, None, error, cause, heartbeats))
                else:
                    found.append(TokenAnswer(token, execution, outcome, body, "", "", heartbeats))
        return found

    # -- leases -----------------------------------------------------------------------------

    def lease(self, name: str, owner: str, seconds: float) -> None:
        now = time.time()
        with self._transaction() as db:
            row = db.execute("SELECT lease_owner, lease_until FROM executions WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise StoreError(f"{self.location}: no execution named '{name}'")
            holder, until = row
            if holder not in (None, owner) and until is not None and until > now and _alive(holder):
                raise StoreError(f"execution '{name}' is being run by another process ({holder})")
            db.execute(
                "UPDATE executions SET lease_owner = ?, lease_until = ? WHERE name = ?", (owner, now + seconds, name)
            )

    def release(self, name: str, owner: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE executions SET lease_owner = NULL WHERE name = ? AND lease_owner = ?", (name, owner))


_COLUMNS: Final = "name, definition, input, options, status, output, error, cause, start_time, stop_time, events"


def _record(row: Any) -> ExecutionRecord:
    name, definition, raw_input, options, status, output, error, cause, start, stop, events = row
    return ExecutionRecord(
        name,
        definition,
        _loads(raw_input),
        _loads(options) or {},
        status,
        _loads(output),
        error,
        cause,
        start,
        stop,
        events,
    )


def _loads(text: Any) -> Any:
    if text is None:
        return None
    return json.loads(text)


def _reason(error: sqlite3.Error) -> str:
    text = str(error)
    if "locked" in text or "busy" in text:
        return "it is locked by another process (database is locked)"
    if "readonly" in text or "read-only" in text:
        return "it is read-only"
    if "not a database" in text or "malformed" in text:
        return "it is not an asl store (not a SQLite database, or a damaged one)"
    return text


def owner_id() -> str:
    """Who holds a lease: this host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(holder: str) -> bool:
    """Whether the process holding a lease may still run: one of this host that is gone is not."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
