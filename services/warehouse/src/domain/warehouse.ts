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
