-- The photo's EXIF orientation, kept here because the stored file has none left (1 = as stored), and when retention
-- deleted the photo file (Storage:PhotoRetentionDays): the report and its decisions stay.
ALTER TABLE reports ADD COLUMN photo_orientation INTEGER NOT NULL DEFAULT 1;
ALTER TABLE reports ADD COLUMN photo_deleted_at TEXT;
-- Retention looks only at reports whose photo is still kept, oldest first.
CREATE INDEX reports_photo_kept ON reports (received_at) WHERE photo_deleted_at IS NULL;
