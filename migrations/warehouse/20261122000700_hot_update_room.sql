-- Leave room on each page so the rows updated on every reservation (balances, lots, reservation states,
-- idempotent answers) are rewritten in place (HOT updates: no new index entries), which keeps the hot
-- path's write statement short under load.
ALTER TABLE stock_levels SET (fillfactor = 70);
ALTER TABLE stock_lots SET (fillfactor = 70);
ALTER TABLE reservations SET (fillfactor = 80);
ALTER TABLE reservation_lines SET (fillfactor = 80);
ALTER TABLE idempotency_records SET (fillfactor = 80);
