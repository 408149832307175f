export { Fleet, type FleetArgs, type FleetOptions } from "./fleet";
export { DeviceTemplate, type DeviceTemplateArgs } from "./deviceTemplate";
export { DevicePool, type DevicePoolArgs, type FleetResources } from "./devicePool";
export { ServiceAllocation, type ServiceAllocationArgs, type PoolFacts } from "./serviceAllocation";
export type { FleetCapacity, PoolCapacityView, DeviceCapacity, ClassUsage } from "../core/ledgerView";
export { planSpec } from "../core/planSpec";
export { templateSources, type TemplateSourceInputs } from "./templateSources";
export { COMPONENT_TOKENS, DYNAMIC_TOKENS, PACKAGE, PROVIDER_TOKENS } from "../tokens";
