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
    # 4: the service-item catalog (事项目录), stored locally so intake works offline
    """
    CREATE TABLE catalog_items (
        impl_code TEXT PRIMARY KEY,
        item_code TEXT NOT NULL,
        name TEXT NOT NULL,
        department TEXT NOT NULL,
        item_type TEXT NOT NULL,
        case_type INTEGER NOT NULL,
        pinyin_initials TEXT NOT NULL,
        pinyin_full TEXT NOT NULL,
        body TEXT NOT NULL,
        catalog_version TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX catalog_items_code ON catalog_items (item_code);
    """,
    # 5: cases (办件), their materials and attachments, and the upload outbox (待上传队列)
    """
    CREATE TABLE case_counters (day TEXT PRIMARY KEY, last INTEGER NOT NULL);
    CREATE TABLE cases (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        case_no TEXT NOT NULL UNIQUE,
        version INTEGER NOT NULL DEFAULT 1,
        impl_code TEXT NOT NULL,
        item_name TEXT NOT NULL,
        case_type INTEGER NOT NULL,
        status INTEGER NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('accept', 'correct', 'refuse')),
        applicant_kind TEXT NOT NULL CHECK (applicant_kind IN ('person', 'company')),
        applicant_name TEXT NOT NULL,
        id_type TEXT NOT NULL,
        id_number TEXT NOT NULL,
        legal_rep TEXT,
        agent_name TEXT,
        agent_id_number TEXT,
        mobile TEXT NOT NULL,
        address TEXT,
        source INTEGER NOT NULL DEFAULT 1,
        window INTEGER,
        clerk TEXT,
        ticket TEXT,
        preapplication_code TEXT,
        received_at TEXT NOT NULL,
        decided_at TEXT NOT NULL,
        promised_date TEXT,
        query_password TEXT NOT NULL,
        refusal_reason TEXT,
        refusal_agency TEXT,
        delivery TEXT NOT NULL DEFAULT 'window',
        post_address TEXT,
        post_recipient TEXT,
        post_phone TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX cases_received ON cases (received_at);
    CREATE INDEX cases_name ON cases (applicant_name);
    CREATE INDEX cases_id_number ON cases (id_number);
    CREATE INDEX cases_status ON cases (status, received_at);
    CREATE TABLE attachments (
        sha256 TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mime TEXT NOT NULL,
        stored_at TEXT NOT NULL
    );
    CREATE TABLE case_materials (
        case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        code TEXT NOT NULL,
        name TEXT NOT NULL,
        requirement TEXT NOT NULL,
        form TEXT NOT NULL,
        expected_count INTEGER NOT NULL,
        standard TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('kept', 'original_verified', 'paper_copy',
                                                'missing', 'not_applicable')),
        received_at TEXT,
        scanned_codes TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (case_id, code)
    );
    CREATE TABLE case_attachments (
        case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        material_code TEXT NOT NULL,
        seq INTEGER NOT NULL,
        sha256 TEXT NOT NULL REFERENCES attachments(sha256),
        original_name TEXT NOT NULL,
        PRIMARY KEY (case_id, material_code, seq)
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        case_id INTEGER REFERENCES cases(id),
        evaluation_id INTEGER,
        kind TEXT NOT NULL,
        version INTEGER NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try_at TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX outbox_state ON outbox (state, next_try_at);
    """,
    # 6: 好差评 evaluations
    """
    CREATE TABLE evaluations (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        case_no TEXT,
        ticket TEXT,
        level TEXT NOT NULL,
        reasons TEXT NOT NULL DEFAULT '[]',
        comment TEXT NOT NULL DEFAULT '',
        window INTEGER,
        clerk TEXT,
        channel TEXT NOT NULL,
        at TEXT NOT NULL,
        rectify_by TEXT
    );
    CREATE INDEX evaluations_at ON evaluations (at);
    CREATE INDEX evaluations_case ON evaluations (case_no);
    """,
    # 7: the hall server (大厅服务器): device tokens, manual-mode services applied once,
    #    counters' pushed event logs; on a counter: manual-mode services not yet sent
    """
    CREATE TABLE hall_devices (
        device_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('counter', 'kiosk', 'panel')),
        window INTEGER,
        token_hash TEXT NOT NULL UNIQUE,
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL
    );
    CREATE TABLE hall_manual_applied (
        uid TEXT PRIMARY KEY,
        device TEXT NOT NULL,
        result TEXT NOT NULL,
        applied_at TEXT NOT NULL
    );
    CREATE TABLE pushed_log (
        device TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        window INTEGER,
        clerk TEXT,
        action TEXT NOT NULL,
        ticket TEXT,
        detail TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        received_at TEXT NOT NULL,
        PRIMARY KEY (device, seq)
    );
    CREATE TABLE manual_services (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        window INTEGER NOT NULL,
        clerk TEXT NOT NULL,
        ticket TEXT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        sent_at TEXT,
        result TEXT
    );
    """,
    # 8: waiting counts per service read from an index of their own (the hall server reads
    #    them after every action, for the panels)
    """
    CREATE INDEX tickets_waiting ON tickets (day, state, service, priority);
    """,
    # 9: the supervisor's report: how many times each applicant came for a case (最多跑一次),
    #    counted from the log for cases already there; cases found by the day they were decided
    """
    ALTER TABLE cases ADD COLUMN visits INTEGER NOT NULL DEFAULT 1;
    UPDATE cases SET visits = 1 + (
        SELECT count(*) FROM event_log WHERE action = 'correction_ended'
        AND json_extract(detail, '$.case_no') = cases.case_no);
    CREATE INDEX cases_decided ON cases (decided_at);
    """,
    # 10: counters whose signed daily log bundles this PC accepts (the county), by public key
    """
    CREATE TABLE trusted_devices (
        device TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        added_at TEXT NOT NULL
    );
    """,
    # 11: the hall server: which registered device a pushed event log belongs to (the first
    #     to push it); nobody else may add to it
    """
    CREATE TABLE pushed_log_owners (
        log TEXT PRIMARY KEY,
        device_id TEXT NOT NULL,
        claimed_at TEXT NOT NULL
    );
    """,
    # 12: a counter's hand-recorded service the hall server refused for good waits aside for
    #     the clerk (修改 / 作废) instead of holding up those behind it
    """
    ALTER TABLE manual_services ADD COLUMN refused_at TEXT;
    ALTER TABLE manual_services ADD COLUMN refusal TEXT;
    """,
    # 13: since when the platform has answered an upload with "in progress" (a row stuck so
    #     long goes to 需处理)
    """
    ALTER TABLE outbox ADD COLUMN in_progress_since TEXT;
    """,
    # 14: the day's appointments (预约) a ticket marked 预约 must match, and the ticket that
    #     used each
    """
    CREATE TABLE appointments (
        day TEXT NOT NULL,
        code TEXT NOT NULL,
        phone TEXT NOT NULL DEFAULT '',
        service TEXT NOT NULL,
        at_time TEXT NOT NULL,
        ticket TEXT,
        PRIMARY KEY (day, code)
    );
    CREATE INDEX appointments_phone ON appointments (day, phone);
    """,
    # 15: a specific 补正 reason per material (what exactly is missing or wrong with it), and
    #     a status for a signed original checked and handed back (已收原件（已核验并退还）):
    #     the status CHECK is widened by rebuilding the table
    """
    CREATE TABLE case_materials_15 (
        case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        code TEXT NOT NULL,
        name TEXT NOT NULL,
        requirement TEXT NOT NULL,
        form TEXT NOT NULL,
        expected_count INTEGER NOT NULL,
        standard TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('kept', 'original_verified', 'original_returned',
                                                'paper_copy', 'missing', 'not_applicable')),
        received_at TEXT,
        scanned_codes TEXT NOT NULL DEFAULT '[]',
        correction_reason TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (case_id, code)
    );
    INSERT INTO case_materials_15 (case_id, code, name, requirement, form, expected_count,
        standard, status, received_at, scanned_codes)
        SELECT case_id, code, name, requirement, form, expected_count, standard, status,
        received_at, scanned_codes FROM case_materials;
    DROP TABLE case_materials;
    ALTER TABLE case_materials_15 RENAME TO case_materials;
    """,
    # 16: the 补正 deadline as the notice gave it (a date, and the working days it was counted
    #     from): a reprint says what the applicant was told, whatever the calendar says later
    """
    ALTER TABLE cases ADD COLUMN correction_due TEXT;
    ALTER TABLE cases ADD COLUMN correction_days INTEGER;
    """,
    # 17: 办件查询 at the kiosk: how the result reaches the applicant (待领取 at a place, or
    #     已邮寄 with a waybill); which cases' progress the hall server has not got yet (a
    #     trigger counts every change that shows at the kiosk, whoever writes it: intake,
    #     the platform's change feed, the clerk); wrong query passwords per case number
    """
    ALTER TABLE cases ADD COLUMN handover TEXT NOT NULL DEFAULT ''
        CHECK (handover IN ('', 'ready', 'posted'));
    ALTER TABLE cases ADD COLUMN waybill TEXT;
    ALTER TABLE cases ADD COLUMN pickup_place TEXT;
    ALTER TABLE cases ADD COLUMN progress_rev INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE cases ADD COLUMN progress_sent INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX cases_progress_unsent ON cases (id) WHERE progress_sent < progress_rev;
    CREATE INDEX cases_case_no_upper ON cases (upper(case_no));
    CREATE TRIGGER cases_progress_changed AFTER UPDATE OF status, promised_date, handover,
        waybill, pickup_place ON cases
    BEGIN
        UPDATE cases SET progress_rev = progress_rev + 1 WHERE id = NEW.id;
    END;
    CREATE TRIGGER case_materials_progress_added AFTER INSERT ON case_materials
    BEGIN
        UPDATE cases SET progress_rev = progress_rev + 1 WHERE id = NEW.case_id;
    END;
    CREATE TRIGGER case_materials_progress_changed AFTER UPDATE OF status, correction_reason
        ON case_materials
    BEGIN
        UPDATE cases SET progress_rev = progress_rev + 1 WHERE id = NEW.case_id;
    END;
    CREATE TABLE progress_attempts (
        case_no TEXT PRIMARY KEY,
        failures INTEGER NOT NULL DEFAULT 0,
        last_at TEXT,
        locked_until TEXT
    );
    """,
    # 18: tickets taken by ID card or with a 绿色通道 reason (what the counter needs, never
    #     who: a masked number and a salted hash), the appointment time a 预约 ticket used;
    #     appointments from the platform (source) matched by a keyed hash of the card
    """
    ALTER TABLE tickets ADD COLUMN reason TEXT NOT NULL DEFAULT '';
    ALTER TABLE tickets ADD COLUMN appointment_time TEXT;
    ALTER TABLE tickets ADD COLUMN id_masked TEXT NOT NULL DEFAULT '';
    ALTER TABLE tickets ADD COLUMN id_check TEXT NOT NULL DEFAULT '';
    ALTER TABLE appointments ADD COLUMN id_hash TEXT NOT NULL DEFAULT '';
    ALTER TABLE appointments ADD COLUMN source TEXT NOT NULL DEFAULT 'file';
    CREATE INDEX appointments_card ON appointments (day, id_hash);
    """,
    # 19: the kiosks' help calls, read on every window's snapshot, and the old wrong
    #     办件查询 attempts forgotten: each through an index of its own, never a whole table
    """
    CREATE INDEX event_log_help ON event_log (at) WHERE action IN ('help_call', 'help_answer');
    CREATE INDEX progress_attempts_last ON progress_attempts (last_at);
    """,
)

LATEST = len(MIGRATIONS)
