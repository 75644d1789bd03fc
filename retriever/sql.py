"""SQL plumbing shared by the corpus store: engines, sessions and the change-log lock."""

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL lets readers (API processes) run while a writer ingests; FKs make deletes cascade.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


# Held by every transaction that appends to the change log (PostgreSQL only; SQLite has one
# writer): commits then happen in `seq` order, so a reader that has applied seq N can never
# later find an N-1 committed behind its back.
CHANGE_LOG_LOCK = 7_243_002


def lock_change_log(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT pg_advisory_xact_lock({CHANGE_LOG_LOCK})"))


class SqlStore:
    """A store whose every method is one unit of work in its own session."""

    _sessions: sessionmaker[Session]

    def session(self) -> Session:
        return self._sessions()
