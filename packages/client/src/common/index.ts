// The SDK's leaf of pure helpers that the server uses too (`@berth/client/common`): element access
// that throws an internal error, and the capacity rule. It imports nothing (.dependency-cruiser.cjs).
export { at, entry, first, last } from "./at.js";
export { allocatable, capacityOf, type Limits } from "./capacity.js";
