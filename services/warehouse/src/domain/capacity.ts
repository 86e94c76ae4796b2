// Warehouse capacity: a receipt beyond capacity is refused or flagged by the warehouse's policy, and
// crossing the fill-alert ratio raises one event per crossing.
export interface CapacityState {
  capacityUnits: number;
  unitsStored: number;
  fillAlertRatio: number;
  capacityPolicy: "refuse" | "flag";
  overFillAlert: boolean;
}

export interface CapacityDecision {
  refused: boolean;
  overCapacity: boolean;
  overFillAlert: boolean;
  raiseFillAlert: boolean;
}

export function decideCapacity(state: CapacityState, incomingUnits: number): CapacityDecision {
  const after = state.unitsStored + incomingUnits;
  const overCapacity = after > state.capacityUnits;
  const overFill = after >= state.capacityUnits * state.fillAlertRatio;
  return {
    refused: overCapacity && state.capacityPolicy === "refuse",
    overCapacity,
    overFillAlert: overFill,
    raiseFillAlert: overFill && !state.overFillAlert,
  };
}
