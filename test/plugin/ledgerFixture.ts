/**
 * The small fleet the host tests play the Ledger with: two 4-slot HAProxy containers shared by
 * namespace, and up to three tenants' load balancers of one slot each.
 */
import { digest } from "../../core/sources";
import type { FleetSpec } from "../../core/types";
import type { Wire } from "./hosts";

export const TENANTS: Record<string, string> = { "a-lb": "alpha", "b-lb": "bravo", "c-lb": "charlie" };

export function ledgerSpec(allocations: string[]): FleetSpec {
  return {
    templates: {
      haproxy: {
        driver: "docker",
        capacity: { CUSTOM_SERVICE_SLOT: 4 },
        tenancy: { mode: "shared", isolation: "namespace", contexts: { first: 1, last: 4 } },
        docker: {} as never,
      },
    },
    pools: { lb: { template: "haproxy", size: 2 } },
    allocations: Object.fromEntries(
      allocations.map((a) => [a, { tenant: TENANTS[a], demand: { CUSTOM_SERVICE_SLOT: 1 } }]),
    ),
  };
}

/** A placement on `lb-0` as the ledger records it. */
export function placed(allocation: string, context: number): Wire {
  return { context, demand: { CUSTOM_SERVICE_SLOT: 1 }, device: "lb-0", tenant: TENANTS[allocation] };
}

/** What the template's devices are created from: the driver and the image. */
export const DOCKER = digest("docker");
export const IMAGE = digest("haproxy:2.9");
