/** Hand-made plan results for the report tests: one change of every kind, in the planner's order. */
import type { Change, FleetSpec, Isolation, PlanResult } from "../../core/types";

/** Two tenants' firewalls on a shared pool of at most two devices, for renderer tests on real plans. */
export const SPEC: FleetSpec = {
  templates: {
    fw: {
      driver: "docker",
      capacity: { CUSTOM_SERVICE_SLOT: 8, CUSTOM_THROUGHPUT_MBPS: 1000 },
      tenancy: { mode: "shared", isolation: "vrf", contexts: { first: 1, last: 4 } },
      docker: { image: "vyos" },
    },
  },
  pools: { fw: { template: "fw", standby: 1, max: 2 } },
  allocations: {
    "acme-fw": { tenant: "acme", demand: { CUSTOM_SERVICE_SLOT: 2, CUSTOM_THROUGHPUT_MBPS: 300 } },
    "globex-fw": { tenant: "globex", demand: { CUSTOM_SERVICE_SLOT: 1, CUSTOM_THROUGHPUT_MBPS: 200 } },
  },
};

const vrf = (id: number): Isolation => ({ kind: "vrf", id });

/** A small fleet after a plan: pool `fw` with two devices, one hosting `acme-fw`. */
export const BASE: PlanResult = {
  ok: true,
  errors: [],
  claims: {},
  pools: { fw: { template: "vfw", devices: ["fw-0", "fw-1"], needed: 1, standby: 1 } },
  devices: {
    "fw-0": {
      pool: "fw",
      index: 0,
      zone: "az1",
      healthy: true,
      capacity: { CUSTOM_SERVICE_SLOT: 8, CUSTOM_THROUGHPUT_MBPS: 10000 },
      used: { CUSTOM_SERVICE_SLOT: 3, CUSTOM_THROUGHPUT_MBPS: 2000 },
      free: { CUSTOM_SERVICE_SLOT: 5, CUSTOM_THROUGHPUT_MBPS: 8000 },
      tenants: ["acme"],
      allocations: ["acme-fw"],
    },
    "fw-1": {
      pool: "fw",
      index: 1,
      zone: "az2",
      healthy: true,
      capacity: { CUSTOM_SERVICE_SLOT: 8, CUSTOM_THROUGHPUT_MBPS: 10000 },
      used: { CUSTOM_SERVICE_SLOT: 0, CUSTOM_THROUGHPUT_MBPS: 0 },
      free: { CUSTOM_SERVICE_SLOT: 8, CUSTOM_THROUGHPUT_MBPS: 10000 },
      tenants: [],
      allocations: [],
    },
  },
  placements: { "acme-fw": { device: "fw-0", pool: "fw", tenant: "acme", isolation: vrf(1) } },
  changes: [],
  ledger: { version: 2, pools: {}, placements: {} },
};

/** One change of every kind, additive ones first (the reports put destructive ones first). */
export const EVERY_KIND: Change[] = [
  {
    op: "place",
    allocation: "new-fw",
    tenant: "initech",
    to: "fw-1",
    isolation: vrf(2),
    demand: { CUSTOM_SERVICE_SLOT: 1 },
  },
  {
    op: "grow",
    pool: "fw",
    from: 1,
    to: 2,
    devices: [{ name: "fw-1", zone: "az2" }],
    reason: "1 busy device + `standby` 1",
    source: {},
  },
  {
    op: "resize",
    allocation: "acme-fw",
    device: "fw-0",
    from: { CUSTOM_SERVICE_SLOT: 2, CUSTOM_THROUGHPUT_MBPS: 2000 },
    to: { CUSTOM_SERVICE_SLOT: 3, CUSTOM_THROUGHPUT_MBPS: 2000 },
  },
  {
    op: "reisolate",
    allocation: "b-fw",
    device: "fw-0",
    reason: "context 3 is outside `templates.vfw.tenancy.contexts`",
    isolation: { from: vrf(3), to: vrf(1) },
  },
  {
    op: "retenant",
    allocation: "c-fw",
    device: "fw-0",
    from: "old",
    to: "new",
    isolation: { from: vrf(4), to: vrf(5) },
  },
  {
    op: "update",
    pool: "fw",
    device: "fw-0",
    changed: ["flavor"],
    unknown: [],
    source: {},
    allocations: ["acme-fw"],
    tenants: ["acme"],
  },
  { op: "shrink", pool: "lb", from: 3, to: 2, devices: ["lb-2"], reason: "1 busy device + `standby` 1" },
  { op: "release", allocation: "gone-fw", from: "fw-0", reason: "allocation removed from the spec" },
  {
    op: "move",
    allocation: "d-fw",
    from: "fw-3",
    to: "fw-0",
    reason: "device `fw-3` removed",
    isolation: { from: vrf(3), to: null },
  },
  {
    op: "remove",
    pool: "old",
    devices: ["old-0", "old-1"],
    reason: "pool `old` is no longer owned by the spec",
    allocations: ["old-fw"],
    tenants: ["globex"],
  },
  {
    op: "replace",
    pool: "fw",
    device: "fw-0",
    changed: ["image"],
    unknown: ["userData"],
    source: {},
    allocations: ["acme-fw", "b-fw"],
    tenants: ["acme", "b"],
  },
];

export const WITH_EVERY_KIND: PlanResult = { ...BASE, changes: EVERY_KIND };

/** The same fleet when the plan failed: the previous placements, no changes. */
export const FAILED: PlanResult = {
  ...BASE,
  ok: false,
  errors: [
    {
      path: "allocations.huge",
      message:
        "allocation `huge` (tenant `initech`) needs 9 CUSTOM_SERVICE_SLOT; pool `fw` (`max` 2): 2 devices have at most 8 CUSTOM_SERVICE_SLOT free; raise `pools.fw.max` (2) or lower `allocations.huge.demand`",
    },
  ],
};
