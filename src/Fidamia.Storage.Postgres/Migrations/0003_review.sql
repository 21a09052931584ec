-- The same as SQLite's 0003_review.sql, in PostgreSQL types.
ALTER TABLE reports ADD COLUMN current_status text NOT NULL DEFAULT 'NeedsReview';
ALTER TABLE reports ADD COLUMN current_label text;
ALTER TABLE reports ADD COLUMN territory text;
ALTER TABLE reports ADD COLUMN commune_insee text;
ALTER TABLE reports ADD COLUMN commune_name text;
ALTER TABLE reports ADD COLUMN embedding bytea;
ALTER TABLE reports ADD COLUMN embedding_model text;
ALTER TABLE reports ADD COLUMN photo_hash bigint;
ALTER TABLE reports ADD COLUMN duplicate_of text REFERENCES reports (report_id);
ALTER TABLE reports ADD COLUMN report_count integer NOT NULL DEFAULT 1;

UPDATE reports r SET
    current_status = d.status, current_label = d.label_code
FROM (SELECT DISTINCT ON (report_id) report_id, status, label_code FROM decisions ORDER BY report_id, id DESC) d
WHERE d.report_id = r.report_id;
UPDATE reports r SET
    territory = d.details #>> '{context,territory}',
    commune_insee = d.details #>> '{context,commune,insee}',
    commune_name = d.details #>> '{context,commune,name}'
FROM (SELECT DISTINCT ON (report_id) report_id, details FROM decisions ORDER BY report_id, id) d
WHERE d.report_id = r.report_id;

CREATE INDEX reports_pending ON reports (current_status, received_at, report_id);
CREATE INDEX reports_place ON reports (lat, lon);
-- Human decisions, for review statistics, the reliability of declarations and the dataset export.
CREATE INDEX decisions_human ON decisions (source, at);

CREATE TABLE review_claims (
    report_id  text PRIMARY KEY REFERENCES reports (report_id),
    operator   text NOT NULL,
    claimed_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE TABLE prototypes (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model      text NOT NULL,
    example_id text NOT NULL,
    label_code text NOT NULL,
    source     text NOT NULL,
    weight     double precision NOT NULL,
    embedding  bytea NOT NULL,
    report_id  text,
    added_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (model, example_id)
);
CREATE INDEX prototypes_added ON prototypes (model, added_at);
