// One warehouse's stock level of a sku as the search service uses it: what can be sold there now (on
// hand less reserved, committed and safety stock, never below 0), and the level's version.

export interface WarehouseLevel {
  sku: string;
  warehouseCode: string;
  available: number;
  levelVersion: number;
  updatedAt: Date;
}

export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isValidLevel(level: WarehouseLevel): boolean {
  return (
    SKU_PATTERN.test(level.sku) &&
    level.warehouseCode.length >= 1 &&
    level.warehouseCode.length <= 64 &&
    Number.isSafeInteger(level.levelVersion) &&
    level.levelVersion >= 1
  );
}
