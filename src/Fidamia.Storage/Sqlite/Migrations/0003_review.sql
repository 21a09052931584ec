-- Review, learning and duplicates.
-- A report's current state beside it (the newest decision's status and label; decisions stay append-only), where it is
-- (for the review filters), the photo's embedding (float32, L2-normalised, in the named model's feature space) and
-- difference hash (for duplicates and for learning from operators), and the duplicate relation.
ALTER TABLE reports ADD COLUMN current_status TEXT NOT NULL DEFAULT 'NeedsReview';
ALTER TABLE reports ADD COLUMN current_label TEXT;
ALTER TABLE reports ADD COLUMN territory TEXT;
ALTER TABLE reports ADD COLUMN commune_insee TEXT;
ALTER TABLE reports ADD COLUMN commune_name TEXT;
ALTER TABLE reports ADD COLUMN embedding BLOB;
ALTER TABLE reports ADD COLUMN embedding_model TEXT;
ALTER TABLE reports ADD COLUMN photo_hash INTEGER;
ALTER TABLE reports ADD COLUMN duplicate_of TEXT REFERENCES reports (report_id);
ALTER TABLE reports ADD COLUMN report_count INTEGER NOT NULL DEFAULT 1;

UPDATE reports SET
    current_status = (SELECT status FROM decisions d WHERE d.report_id = reports.report_id ORDER BY id DESC LIMIT 1),
    current_label = (SELECT label_code FROM decisions d WHERE d.report_id = reports.report_id ORDER BY id DESC LIMIT 1),
    territory = (SELECT json_extract(details, '$.context.territory') FROM decisions d WHERE d.report_id = reports.report_id ORDER BY id LIMIT 1),
    commune_insee = (SELECT json_extract(details, '$.context.commune.insee') FROM decisions d WHERE d.report_id = reports.report_id ORDER BY id LIMIT 1),
    commune_name = (SELECT json_extract(details, '$.context.commune.name') FROM decisions d WHERE d.report_id = reports.report_id ORDER BY id LIMIT 1);

-- The review list, oldest first; the duplicate search, a bounding box on indexed coordinates.
CREATE INDEX reports_pending ON reports (current_status, received_at, report_id);
CREATE INDEX reports_place ON reports (lat, lon);
-- Human decisions, for review statistics, the reliability of declarations and the dataset export.
CREATE INDEX decisions_human ON decisions (source, at);

-- One operator's claim on a report under review, until it expires.
CREATE TABLE review_claims (
    report_id  TEXT PRIMARY KEY REFERENCES reports (report_id),
    operator   TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- The prototype memory, shared by every instance on the database: examples per model (name: its versions share a
-- feature space), each with its source (seed, operator, declared) and weight. seq orders them for instances catching up.
CREATE TABLE prototypes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    model      TEXT NOT NULL,
    example_id TEXT NOT NULL,
    label_code TEXT NOT NULL,
    source     TEXT NOT NULL,
    weight     REAL NOT NULL,
    embedding  BLOB NOT NULL,
    report_id  TEXT,
    added_at   TEXT NOT NULL,
    UNIQUE (model, example_id)
);
