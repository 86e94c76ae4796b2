-- ListMovements/ExportMovements filter by actor and page by movement id: (actor, movement_id) answers
-- "this actor's movements after id N, in id order" from the index alone, where the primary key would
-- walk every later movement of every actor.
CREATE INDEX stock_movements_actor_idx ON stock_movements (actor, movement_id);
