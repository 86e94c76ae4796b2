-- The retention worker (@stockroom/retention) deletes processed-event rows by age in small batches; this
-- index finds them without scanning the whole log (as the warehouse's and the catalog's got).
CREATE INDEX event_processing_log_processed_at_idx ON event_processing_log (processed_at);
