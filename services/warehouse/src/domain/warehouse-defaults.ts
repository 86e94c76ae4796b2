// What a warehouse gets for the fields its creator leaves unset (the warehouses table's column defaults
// say the same).

// The share of its capacity at which a warehouse raises its fill alert.
export const DEFAULT_FILL_ALERT_RATIO = 0.9;

// A new warehouse is active; updating it may deactivate it.
export const NEW_WAREHOUSE_ACTIVE = true;
