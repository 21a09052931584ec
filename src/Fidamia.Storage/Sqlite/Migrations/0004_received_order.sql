-- Reports in the order they were received, for the tools that go through the archive (fidamia model rescore) page by page.
CREATE INDEX reports_received ON reports (received_at, report_id);
