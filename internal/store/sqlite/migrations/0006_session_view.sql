-- The read API's rendering of each completed session (its JSON as the answer holds it), written
-- with the row by every write of it, so that a read concatenates stored bytes instead of
-- decoding fifteen columns and encoding them again. NULL while the session is incomplete (no
-- read returns it). The migration fills it for the sessions already stored (in Go, in the same
-- transaction: the rendering is the read API's own, not SQL's).
ALTER TABLE sessions ADD COLUMN view TEXT;
