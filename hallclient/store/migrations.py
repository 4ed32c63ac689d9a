"""Numbered schema migrations; ``PRAGMA user_version`` holds the last one applied.

Never edit a released migration: add the next number.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: device identity and local clerk accounts
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE clerks (
        username TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('clerk', 'supervisor', 'admin')),
        password_hash TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL
    );
    """,
    # 2: services (业务类别), windows and their weighted service lists, tickets
    """
    CREATE TABLE services (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL UNIQUE,
        sort INTEGER NOT NULL DEFAULT 0,
        active INTEGER NOT NULL DEFAULT 1
    );
    CREATE TABLE windows (
        number INTEGER PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL DEFAULT 'closed' CHECK (state IN ('open', 'paused', 'closed')),
        clerk TEXT,
        priority_streak INTEGER NOT NULL DEFAULT 0,
        vtime REAL NOT NULL DEFAULT 0
    );
    CREATE TABLE window_services (
        window INTEGER NOT NULL REFERENCES windows(number) ON DELETE CASCADE,
        service TEXT NOT NULL REFERENCES services(code),
        weight REAL NOT NULL DEFAULT 1 CHECK (weight > 0),
        pass REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (window, service)
    );
    CREATE TABLE ticket_counters (
        day TEXT NOT NULL,
        prefix TEXT NOT NULL,
        last INTEGER NOT NULL,
        PRIMARY KEY (day, prefix)
    );
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        day TEXT NOT NULL,
        seq INTEGER NOT NULL,
        number TEXT NOT NULL,
        service TEXT NOT NULL REFERENCES services(code),
        priority INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'waiting',
        issued_at TEXT NOT NULL,
        sort_at_ms INTEGER NOT NULL,
        raised INTEGER NOT NULL DEFAULT 0,
        target_window INTEGER,
        window INTEGER,
        clerk TEXT,
        recalls INTEGER NOT NULL DEFAULT 0,
        called_at TEXT,
        started_at TEXT,
        finished_at TEXT,
        UNIQUE (day, number)
    );
    CREATE INDEX tickets_lane ON tickets
        (day, service, state, target_window, priority, raised, sort_at_ms, seq);
    CREATE INDEX tickets_targeted ON tickets (day, target_window, state, sort_at_ms);
    CREATE INDEX tickets_window ON tickets (day, window, state);
    """,
    # 3: the hash-chained event log (操作日志)
    """
    CREATE TABLE event_log (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        device TEXT NOT NULL,
        window INTEGER,
        clerk TEXT,
        action TEXT NOT NULL,
        ticket TEXT,
        detail TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX event_log_at ON event_log (at);
    """,
)

LATEST = len(MIGRATIONS)
