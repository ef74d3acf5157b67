"""asl.store: a SQLite file that opens, migrates forward, and refuses what is not its own."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from asl import store
from asl.store import SCHEMA_VERSION, ExecutionExists, StoreError, open_store


def test_a_new_path_becomes_a_store_in_wal_mode(tmp_path: Path) -> None:
    opened = open_store(tmp_path / "asl.db")
    opened.close()
    db = sqlite3.connect(tmp_path / "asl.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA application_id").fetchone()[0] == store.APPLICATION_ID


def test_a_sqlite_url_names_the_same_file(tmp_path: Path) -> None:
    open_store(f"sqlite:///{tmp_path}/a.db").close()
    assert (tmp_path / "a.db").exists()


def test_an_execution_holds_its_definition_input_and_events(tmp_path: Path) -> None:
    opened = open_store(tmp_path / "asl.db")
    opened.create("n", '{"StartAt":"A"}', {"x": 1}, {"seed": 3}, 100.0)
    opened.append("n", [(1, "", 0, 100.0, "ExecutionStarted", {"input": {"x": 1}})], tokens=[("t", "A")])
    opened.append(
        "n", [(2, "", 1, 101.0, "ExecutionSucceeded", {"output": 2})], end=("SUCCEEDED", 2, None, None, 101.0)
    )
    record = opened.get("n")
    assert record is not None
    assert (record.definition, record.input, record.options) == ('{"StartAt":"A"}', {"x": 1}, {"seed": 3})
    assert (record.status, record.output, record.events) == ("SUCCEEDED", 2, 2)
    assert [(e.id, e.type, e.details) for e in opened.history("n")] == [
        (1, "ExecutionStarted", {"input": {"x": 1}}),
        (2, "ExecutionSucceeded", {"output": 2}),
    ]
    assert [r.name for r in opened.executions()] == ["n"]


def test_the_same_name_with_another_input_is_refused(tmp_path: Path) -> None:
    opened = open_store(tmp_path / "asl.db")
    opened.create("n", "{}", {"x": 1}, {}, 1.0)
    assert opened.create("n", "{}", {"x": 1}, {}, 2.0).start_time == 1.0  # the same request again
    with pytest.raises(ExecutionExists, match="another input"):
        opened.create("n", "{}", {"x": 2}, {}, 3.0)


def test_an_event_out_of_order_writes_nothing_of_its_group(tmp_path: Path) -> None:
    opened = open_store(tmp_path / "asl.db")
    opened.create("n", "{}", {}, {}, 1.0)
    with pytest.raises(StoreError, match="does not follow"):
        opened.append("n", [(1, "", 0, 1.0, "A", None), (3, "", 1, 1.0, "B", None)])
    assert opened.history("n") == []


def test_an_edited_event_breaks_the_chain(tmp_path: Path) -> None:
    opened = open_store(tmp_path / "asl.db")
    opened.create("n", "{}", {}, {}, 1.0)
    opened.append("n", [(1, "", 0, 1.0, "A", {"output": 1}), (2, "", 1, 1.0, "B", {"output": 2})])
    db = sqlite3.connect(tmp_path / "asl.db")
    db.execute("""UPDATE events SET details = '{"output":5}' WHERE id = 1""")
    db.commit()
    with pytest.raises(StoreError, match="altered at event 1"):
        opened.history("n")


def test_a_removed_last_event_is_noticed(tmp_path: Path) -> None:
    opened = open_store(tmp_path / "asl.db")
    opened.create("n", "{}", {}, {}, 1.0)
    opened.append("n", [(1, "", 0, 1.0, "A", None), (2, "", 1, 1.0, "B", None)])
    db = sqlite3.connect(tmp_path / "asl.db")
    db.execute("DELETE FROM events WHERE id = 2")
    db.commit()
    with pytest.raises(StoreError, match="altered after event 1"):
        opened.history("n")


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database, just text that is long enough to have a header" * 20)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not an asl store"):
        open_store(path)
    assert path.read_bytes() == before


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "other.db")
    db.execute("CREATE TABLE customers (id INTEGER)")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="is a SQLite database, but not an asl store"):
        open_store(tmp_path / "other.db")


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    open_store(tmp_path / "asl.db").close()
    db = sqlite3.connect(tmp_path / "asl.db")
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match=f"version {SCHEMA_VERSION + 1}.* newer"):
        open_store(tmp_path / "asl.db")


def test_an_older_schema_migrates_forward_keeping_its_executions(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "asl.db", isolation_level=None)
    db.execute(f"PRAGMA application_id={store.APPLICATION_ID}")
    for statement in store.MIGRATIONS[0]:
        db.execute(statement)
    db.execute("PRAGMA user_version=1")
    db.execute(
        "INSERT INTO executions (name, definition, input, options, status, start_time) "
        "VALUES ('old','{}','{}','{}','RUNNING',1)"
    )
    db.execute("INSERT INTO tokens (token, execution, state, open) VALUES ('tok', 'old', 'A', 1)")
    db.close()
    opened = open_store(tmp_path / "asl.db")
    assert opened.get("old") is not None
    opened.answer("tok", "heartbeat")  # version 2 counts heartbeats
    assert opened.answers(["tok"])[0].heartbeats == 1
    assert sqlite3.connect(tmp_path / "asl.db").execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_a_read_only_file_is_one_clear_error(tmp_path: Path) -> None:
    opened = open_store(tmp_path / "asl.db")
    opened.close()
    for name in os.listdir(tmp_path):
        os.chmod(tmp_path / name, stat.S_IRUSR)
    os.chmod(tmp_path, stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(StoreError, match="read-only|cannot be"):
            opened = open_store(tmp_path / "asl.db")
            opened.create("n", "{}", {}, {}, 1.0)
    finally:
        os.chmod(tmp_path, stat.S_IRWXU)


def test_a_read_only_connection_is_one_clear_error(tmp_path: Path) -> None:
    open_store(tmp_path / "asl.db").close()
    opened = store.SqliteStore(f"file:{tmp_path / 'asl.db'}?mode=ro")
    with pytest.raises(StoreError, match="cannot be written: it is read-only"):
        opened.create("n", "{}", {}, {}, 1.0)
    assert opened.get("n") is None


def test_a_locked_store_is_one_clear_error(tmp_path: Path) -> None:
    open_store(tmp_path / "asl.db").close()
    holder = sqlite3.connect(tmp_path / "asl.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process is writing, and does not let go
    opened = store.SqliteStore(str(tmp_path / "asl.db"), busy_seconds=0.1)
    with pytest.raises(StoreError, match="locked by another process"):
        opened.create("n", "{}", {}, {}, 1.0)
    holder.execute("ROLLBACK")
    opened.create("n", "{}", {}, {}, 1.0)


def test_a_token_is_answered_once_and_only_while_awaited(tmp_path: Path) -> None:
    opened = open_store(tmp_path / "asl.db")
    opened.create("n", "{}", {}, {}, 1.0)
    opened.append("n", [], tokens=[("tok", "Ask")])
    with pytest.raises(StoreError, match="Invalid token"):
        opened.answer("nope", "success", 1)
    assert opened.answer("tok", "success", {"ok": True}) == "n"
    assert opened.answers(["tok"])[0].output == {"ok": True}
    with pytest.raises(StoreError, match="no longer waits"):
        opened.answer("tok", "failure", error="E")


def test_a_lease_held_by_a_live_process_is_refused(tmp_path: Path) -> None:
    opened = open_store(tmp_path / "asl.db")
    opened.create("n", "{}", {}, {}, 1.0)
    opened.lease("n", f"{store.socket.gethostname()}:1", 30)  # pid 1 is alive
    with pytest.raises(StoreError, match="being run by another process"):
        opened.lease("n", "me", 30)


def test_a_lease_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    opened = open_store(tmp_path / "asl.db")
    opened.create("n", "{}", {}, {}, 1.0)
    opened.lease("n", f"{store.socket.gethostname()}:999999999", 30)  # no such process
    opened.lease("n", "me", 30)


def test_postgresql_is_refused_plainly_for_now() -> None:
    with pytest.raises(StoreError, match="PostgreSQL stores are not supported yet"):
        open_store("postgresql://asl:secret@127.0.0.1/db")
