-- Reports, their decisions (append-only: a later decision is a new row), queue items and the audit trail.
-- A queue item is ready (deliverable from visible_at), leased (until lease_expires_at, under lease_id), done or dead.
-- The same tables and columns as SQLite's 0001_reports.sql, in PostgreSQL types: a version means one schema in both.
CREATE TABLE reports (
    report_id         text PRIMARY KEY,
    fingerprint       bytea NOT NULL,
    received_at       timestamptz NOT NULL,
    lat               double precision NOT NULL,
    lon               double precision NOT NULL,
    accuracy_m        double precision NOT NULL,
    declared_category text,
    description       text,
    channel           integer NOT NULL,
    reported_at       timestamptz,
    photo_sha256      text NOT NULL,
    photo_format      text NOT NULL,
    photo_width       integer NOT NULL,
    photo_height      integer NOT NULL,
    exif_lat          double precision,
    exif_lon          double precision,
    taken_at          timestamptz
);
CREATE INDEX reports_photo ON reports (photo_sha256);

CREATE TABLE decisions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id     text NOT NULL REFERENCES reports (report_id),
    source        text NOT NULL,
    actor         text NOT NULL,
    at            timestamptz NOT NULL,
    status        text NOT NULL,
    label_code    text,
    confidence    double precision NOT NULL,
    queue_id      text NOT NULL,
    rule          text,
    model_name    text NOT NULL,
    model_version text NOT NULL,
    details       jsonb NOT NULL
);
CREATE INDEX decisions_report ON decisions (report_id, id);

CREATE TABLE queue_items (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue_id    text NOT NULL,
    report_id   text NOT NULL REFERENCES reports (report_id),
    decision_id bigint NOT NULL REFERENCES decisions (id),
    state       text NOT NULL,
    attempts    integer NOT NULL,
    visible_at  timestamptz NOT NULL,
    lease_id    text,
    lease_expires_at timestamptz,
    created_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX queue_items_lease ON queue_items (lease_id);
-- The lease query walks a queue's open items in id order (oldest first) and stops at its limit: done and dead items,
-- the most of the table in time, are not in this index.
CREATE INDEX queue_items_open ON queue_items (queue_id, id) WHERE state IN ('ready', 'leased');

CREATE TABLE audit (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id text NOT NULL,
    at        timestamptz NOT NULL,
    actor     text NOT NULL,
    action    text NOT NULL,
    details   text
);
CREATE INDEX audit_report ON audit (report_id, id);
