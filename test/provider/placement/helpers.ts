/** Test helpers for the Placement backend: a real server per test file, request accounting and small fleets. */
import { afterAll, beforeAll } from "vitest";
import { plan } from "../../../core/plan";
import type { FleetSpec, Ledger, PlanResult } from "../../../core/types";
import { PlacementClient, type PlacementClientOptions } from "../../../provider/placement/client";
import { PLACEMENT_TOKEN, startPlacement, type PlacementServer, type StartOptions } from "./server";

/** The server `usePlacementServer` started for this file, and a client for it. */
export interface PlacementFixture extends PlacementServer {
  /** A counting client on this server (see `countingClient`). */
  client(options?: Partial<PlacementClientOptions>): CountingClient;
}

/**
 * Starts a real Placement on 127.0.0.1 before the file's tests (vitest `beforeAll`) and stops it by
 * its process id after them (`afterAll`), deleting its database. Call it once at the top of a test
 * file; the returned fixture is usable from inside tests and hooks only (it throws before the start).
 */
export function usePlacementServer(options: StartOptions = {}): PlacementFixture {
  let server: PlacementServer | null = null;
  beforeAll(async () => {
    server = await startPlacement(options);
  });
  afterAll(async () => {
    await server?.stop();
    server = null;
  });
  const started = (): PlacementServer => {
    if (server === null)
      throw new Error("usePlacementServer: the server is used before `beforeAll` started it");
    return server;
  };
  return {
    get url() {
      return started().url;
    },
    get port() {
      return started().port;
    },
    get dir() {
      return started().dir;
    },
    get pid() {
      return started().pid;
    },
    kill: () => started().kill(),
    restart: () => started().restart(),
    stop: () => started().stop(),
    log: () => started().log(),
    client: (clientOptions) => countingClient(started().url, clientOptions),
  };
}

export interface Counts {
  GET: number;
  PUT: number;
  POST: number;
  DELETE: number;
}

export interface CountingClient {
  client: PlacementClient;
  counts: Counts;
  /** PUT + POST + DELETE since the last reset. */
  writes(): number;
  reset(): void;
  /** Requests since the last reset as `METHOD /path` lines. */
  log: string[];
}

export function countingClient(url: string, options: Partial<PlacementClientOptions> = {}): CountingClient {
  const counts: Counts = { GET: 0, PUT: 0, POST: 0, DELETE: 0 };
  const log: string[] = [];
  const client = new PlacementClient({
    endpoint: url,
    auth: PLACEMENT_TOKEN,
    timeoutMs: 20_000,
    retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 200 },
    ...options,
    onRequest: (method, path) => {
      counts[method as keyof Counts]++;
      log.push(`${method} ${path}`);
      options.onRequest?.(method, path);
    },
  });
  return {
    client,
    counts,
    log,
    writes: () => counts.PUT + counts.POST + counts.DELETE,
    reset: () => {
      counts.GET = counts.PUT = counts.POST = counts.DELETE = 0;
      log.length = 0;
    },
  };
}

/** Plans a spec and insists the plan is feasible. */
export function planOk(spec: FleetSpec, previous?: Ledger): PlanResult {
  const result = plan(spec, previous === undefined ? {} : { previous });
  if (!result.ok) throw new Error(`test fleet does not plan: ${JSON.stringify(result.errors)}`);
  return result;
}

/** A fleet of one firewall pool of `size` docker devices in two zones, and the given allocations. */
export function firewallFleet(size: number, allocations: FleetSpec["allocations"] = {}): FleetSpec {
  return {
    templates: {
      fw: {
        driver: "docker",
        capacity: {
          CUSTOM_SERVICE_SLOT: 4,
          CUSTOM_THROUGHPUT_MBPS: {
            total: 10000,
            reserved: 1000,
            maxUnit: 5000,
            stepSize: 100,
            allocationRatio: 1.5,
          },
        },
        traits: ["CUSTOM_FW", "HW_NIC_SRIOV"],
        tenancy: { mode: "shared", isolation: "vrf", contexts: { first: 1, last: 8 } },
        docker: { image: "vyos:1.4" },
      },
    },
    pools: { fw: { template: "fw", size, zones: ["az1", "az2"] } },
    allocations,
  };
}
