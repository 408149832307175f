/** The pure core: no Pulumi, no I/O. */
export * from "./types";
export { canonicalJson, sortDeep } from "./canonical";
export {
  capacityOf,
  fits,
  normalizeInventory,
  unitViolation,
  INVENTORY_DEFAULTS,
  PLACEMENT_MAX_INT,
} from "./inventory";
export type { UnitViolation } from "./inventory";
export {
  ledgerDevices,
  declaredDevices,
  createdDevice,
  deviceIndex,
  deviceName,
  createdDeviceZone,
  isDeclaredPool,
  isExternalPool,
  tenancyOf,
  POOL_DEFAULTS,
} from "./model";
export type { DeviceModel } from "./model";
export { plan } from "./plan";
export { applyChanges, upgradeLedger, EMPTY_LEDGER } from "./ledger";
export { changeWarnings } from "./warnings";
export { digest, templateSource, poolSource, sourceEffect, SOURCE_FIELDS } from "./sources";
export { checkInvariants } from "./invariants";
export { renderText, renderMarkdown, poolUsage, summarize } from "./report";
export type { RenderOptions, PoolUsage, ReportError, ReportResult } from "./report";
export { validateSpec } from "./validate";
export { parsePath } from "./paths";
export { explainAllocation } from "./explainAllocation";
export type {
  AllocationExplanation,
  CandidateView,
  ConstraintCount,
  ExplainFix,
  ExplainResult,
  ExplainStatus,
  PoolView,
  Verdict,
} from "./explainAllocation";
export { renderExplainMarkdown, renderExplainText } from "./report/explain";
export type { ExplainRenderOptions } from "./report/explain";
export { headroom, ledgerHeadroom, specHeadroom, specShapes } from "./headroom";
export type {
  HeadroomCount,
  HeadroomLimit,
  HeadroomOptions,
  HeadroomShape,
  PoolHeadroom,
  ShapeHeadroom,
  SpecShape,
  ZoneHeadroom,
} from "./headroom";
export { renderHeadroomMarkdown, renderHeadroomText } from "./report/headroom";
export type { HeadroomRenderOptions, HeadroomReport } from "./report/headroom";
