/**
 * The OpenStack Placement backend: a client, fleet sync, claims from pools other fleets own, and a
 * status view. See each module's header for the exact behaviour.
 */
export {
  PlacementClient,
  PLACEMENT_MICROVERSION,
  DEFAULT_RETRY,
  toInventoryRecord,
  fromInventoryRecord,
} from "./client";
export type {
  PlacementClientOptions,
  RetryPolicy,
  TokenSource,
  ProviderRecord,
  InventoryRecord,
  AllocationWrite,
  AllocationCandidates,
  ConsumerAllocations,
  ProviderAllocations,
  Query,
} from "./client";
export { PlacementError, isTransient, type PlacementErrorKind, type PlacementErrorInfo } from "./errors";
export {
  AuthConfigError,
  KeystoneSession,
  cloudsYamlPaths,
  connectPlacement,
  loadCloudConfig,
  tokenRequestBody,
} from "./auth";
export type { CloudConfig, CloudLookup, ConnectOptions } from "./auth";
export {
  SERVICEVM_NAMESPACE,
  CONSUMER_TYPE,
  providerUuid,
  providerName,
  poolAggregate,
  zoneAggregate,
  consumerUuid,
  projectId,
  fleetUserId,
  claimUserId,
  ownedDevice,
  ownerProviderUuid,
  ownerProviderName,
  ownerAggregate,
} from "./ids";
export {
  ownerVerdict,
  planOwnership,
  readOwner,
  takeOwnership,
  deleteOwnerProvider,
  type OwnerRecord,
  type OwnerVerdict,
  type OwnershipStep,
} from "./owner";
export { desiredFleet, externalPoolOf, type DesiredFleet, type ExternalPool } from "./desired";
export {
  syncFleet,
  SyncError,
  type SyncOptions,
  type SyncReport,
  type SyncState,
  type SyncProgress,
  type SyncStep,
} from "./sync";
export {
  claimAllocations,
  candidateQuery,
  withKnownTraits,
  ClaimError,
  type ClaimOptions,
  type ClaimReport,
  type ClaimGrant,
} from "./claim";
export {
  placementStatus,
  formatStatus,
  type StatusOptions,
  type StatusReport,
  type ForeignUsage,
} from "./status";
export {
  reconcileFleet,
  claimRequests,
  type ReconcileOptions,
  type ReconcileReport,
  type PlacementDifference,
} from "./reconcile";
export { removeFleet, type RemoveFleetOptions, type RemoveFleetReport } from "./remove";
