// A warehouse and its bins as operations staff manage them: what they set, and what the service adds.
export interface WarehouseFields {
  code: string;
  name: string;
  address: string;
  location: { latitude: number; longitude: number } | null;
  capacityUnits: number;
  fillAlertRatio: number;
  capacityPolicy: "refuse" | "flag";
  priority: number;
  active: boolean;
}

export interface WarehouseRecord extends WarehouseFields {
  unitsStored: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface BinRecord {
  warehouseCode: string;
  code: string;
  zone: string;
  aisle: string;
  position: string;
  pickSequence: number;
}

// What a warehouse gets for the fields its creator leaves unset (the warehouses table's column defaults
// say the same).

// The share of its capacity at which a warehouse raises its fill alert.
export const DEFAULT_FILL_ALERT_RATIO = 0.9;

// A new warehouse is active; updating it may deactivate it.
export const NEW_WAREHOUSE_ACTIVE = true;
