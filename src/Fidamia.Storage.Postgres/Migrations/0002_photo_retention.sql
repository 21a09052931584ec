-- The same as SQLite's 0002_photo_retention.sql: the photo's EXIF orientation (1 = as stored), and when retention
-- deleted the photo file; the report and its decisions stay.
ALTER TABLE reports ADD COLUMN photo_orientation integer NOT NULL DEFAULT 1;
ALTER TABLE reports ADD COLUMN photo_deleted_at timestamptz;
CREATE INDEX reports_photo_kept ON reports (received_at) WHERE photo_deleted_at IS NULL;
