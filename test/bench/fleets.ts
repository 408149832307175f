/**
 * Deterministic fleets for benchmarks: a seeded PRNG, so every run measures the same input.
 */
import type { AllocationSpec, FleetSpec, TemplateSpec } from "../../core/types";

/** mulberry32: a small, fast, seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ScaleOptions {
  pools: number;
  /** Devices each pool may grow to. */
  maxPerPool: number;
  allocations: number;
  tenants: number;
  seed?: number;
}

/**
 * A realistic large fleet: half the pools are shared firewalls (VRF contexts, SR-IOV, throughput
 * in steps of 100 Mbps, zones), half dedicated load balancers; one pool in four spreads. Each
 * tenant keeps to one pool; some allocations pair up in anti-affinity groups.
 */
export function largeFleet(opts: ScaleOptions): FleetSpec {
  const rand = prng(opts.seed ?? 42);
  const templates: Record<string, TemplateSpec> = {
    fw: {
      driver: "openstack",
      serviceTypes: ["firewall"],
      capacity: {
        CUSTOM_SERVICE_SLOT: 16,
        CUSTOM_THROUGHPUT_MBPS: { total: 20000, reserved: 1000, stepSize: 100, maxUnit: 10000 },
      },
      traits: ["HW_NIC_SRIOV", "CUSTOM_FW_HIGH_END"],
      tenancy: { mode: "shared", isolation: "vrf", contexts: { first: 1, last: 64 } },
      openstack: { image: { name: "vyos" }, flavor: { name: "m1.large" }, networks: ["mgmt"] },
    },
    lb: {
      driver: "docker",
      serviceTypes: ["lb"],
      capacity: { CUSTOM_SERVICE_SLOT: 16, VCPU: { total: 8, allocationRatio: 4 } },
      docker: { image: "haproxy:2.9" },
    },
  };
  const pools: FleetSpec["pools"] = {};
  const poolNames: string[] = [];
  for (let i = 0; i < opts.pools; i++) {
    const name = `p${String(i).padStart(3, "0")}`;
    poolNames.push(name);
    pools[name] = {
      template: i % 2 === 0 ? "fw" : "lb",
      max: opts.maxPerPool,
      standby: 2,
      strategy: i % 4 === 3 ? "spread" : "pack",
      ...(i % 2 === 0 ? { zones: ["az1", "az2", "az3"] } : {}),
    };
  }
  const allocations: Record<string, AllocationSpec> = {};
  for (let i = 0; i < opts.allocations; i++) {
    const t = Math.floor(rand() * opts.tenants);
    const poolIndex = t % opts.pools;
    const fw = poolIndex % 2 === 0;
    const a: AllocationSpec = {
      tenant: `tenant-${t}`,
      pools: [poolNames[poolIndex]],
      demand: fw
        ? { CUSTOM_SERVICE_SLOT: 1 + Math.floor(rand() * 2), CUSTOM_THROUGHPUT_MBPS: 100 * (1 + Math.floor(rand() * 20)) }
        : { CUSTOM_SERVICE_SLOT: 1 + Math.floor(rand() * 2), VCPU: 1 + Math.floor(rand() * 4) },
    };
    if (fw && rand() < 0.3) a.require = ["HW_NIC_SRIOV"];
    if (fw && rand() < 0.2) a.zone = ["az1", "az2", "az3"][Math.floor(rand() * 3)]!;
    if (rand() < 0.1) a.antiAffinityGroup = `ha-${t}-${Math.floor(rand() * 3)}`;
    allocations[`svc-${String(i).padStart(6, "0")}`] = a;
  }
  return { templates, pools, allocations };
}

/** One pool of identical devices and `count` allocations of `demand` slots each (or mixed). */
export function packingFleet(kind: "uniform" | "mixed", count: number, seed = 7): FleetSpec {
  const rand = prng(seed);
  const allocations: Record<string, AllocationSpec> = {};
  for (let i = 0; i < count; i++) {
    const slots = kind === "uniform" ? 2 : 1 + Math.floor(rand() * 8);
    const mbps = kind === "uniform" ? 1000 : 100 * (1 + Math.floor(rand() * 40));
    allocations[`a${String(i).padStart(6, "0")}`] = {
      tenant: `t${i % 50}`,
      demand: { CUSTOM_SERVICE_SLOT: slots, CUSTOM_THROUGHPUT_MBPS: mbps },
    };
  }
  return {
    templates: {
      box: {
        driver: "docker",
        capacity: { CUSTOM_SERVICE_SLOT: 16, CUSTOM_THROUGHPUT_MBPS: 8000 },
        tenancy: { mode: "shared", isolation: "namespace", contexts: { first: 1, last: 64 } },
        docker: { image: "x" },
      },
    },
    pools: { pool: { template: "box", max: 10000 } }, // the schema's largest `max`
    allocations,
  };
}
