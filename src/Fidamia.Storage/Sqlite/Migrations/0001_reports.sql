-- Reports, their decisions (append-only: a later decision is a new row), queue items and the audit trail.
-- A queue item is ready (deliverable from visible_at), leased (until lease_expires_at, under lease_id), done or dead.
CREATE TABLE reports (
    report_id         TEXT PRIMARY KEY,
    fingerprint       BLOB NOT NULL,
    received_at       TEXT NOT NULL,
    lat               REAL NOT NULL,
    lon               REAL NOT NULL,
    accuracy_m        REAL NOT NULL,
    declared_category TEXT,
    description       TEXT,
    channel           INTEGER NOT NULL,
    reported_at       TEXT,
    photo_sha256      TEXT NOT NULL,
    photo_format      TEXT NOT NULL,
    photo_width       INTEGER NOT NULL,
    photo_height      INTEGER NOT NULL,
    exif_lat          REAL,
    exif_lon          REAL,
    taken_at          TEXT
);
CREATE INDEX reports_photo ON reports (photo_sha256);

CREATE TABLE decisions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id     TEXT NOT NULL REFERENCES reports (report_id),
    source        TEXT NOT NULL,
    actor         TEXT NOT NULL,
    at            TEXT NOT NULL,
    status        TEXT NOT NULL,
    label_code    TEXT,
    confidence    REAL NOT NULL,
    queue_id      TEXT NOT NULL,
    rule          TEXT,
    model_name    TEXT NOT NULL,
    model_version TEXT NOT NULL,
    details       TEXT NOT NULL
);
CREATE INDEX decisions_report ON decisions (report_id, id);

CREATE TABLE queue_items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    queue_id    TEXT NOT NULL,
    report_id   TEXT NOT NULL REFERENCES reports (report_id),
    decision_id INTEGER NOT NULL REFERENCES decisions (id),
    state       TEXT NOT NULL,
    attempts    INTEGER NOT NULL,
    visible_at  TEXT NOT NULL,
    lease_id    TEXT,
    lease_expires_at TEXT,
    created_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX queue_items_lease ON queue_items (lease_id);
CREATE INDEX queue_items_ready ON queue_items (queue_id, state, visible_at);

CREATE TABLE audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id TEXT NOT NULL,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    details   TEXT
);
CREATE INDEX audit_report ON audit (report_id, id);
