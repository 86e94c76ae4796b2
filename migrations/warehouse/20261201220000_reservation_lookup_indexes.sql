-- ListReservations pages newest first by reservation id (uuid v7, so creation order) within one
-- reference or one status. The reference index gains the id so a page is read from the index in order;
-- it replaces the (reference_type, reference_id) index, its prefix. Status already changes index
-- entries on every transition (reservations_expiry_idx's predicate names it), so its index costs one
-- more entry per transition, not the loss of HOT updates.
CREATE INDEX reservations_reference_page_idx ON reservations (reference_type, reference_id, reservation_id);
CREATE INDEX reservations_status_page_idx ON reservations (status, reservation_id);
DROP INDEX reservations_reference_idx;
