import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { PlacementClient } from "../../../provider/placement/client";
import { PlacementError } from "../../../provider/placement/errors";
import { findPlacementApi, freePort } from "./server";

/** A stand-in HTTP server on 127.0.0.1 whose answers the test scripts; it records every request. */
interface Fake {
  url: string;
  requests: { method: string; url: string; headers: IncomingMessage["headers"] }[];
  close(): Promise<void>;
}

const open: Fake[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});

async function fake(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<Fake> {
  const requests: Fake["requests"] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    req.resume();
    req.on("end", () => handler(req, res, requests.length));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const f: Fake = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  open.push(f);
  return f;
}

function placementError(res: ServerResponse, status: number, code: string, detail: string): void {
  res.writeHead(status, { "content-type": "application/json", "openstack-request-id": "req-test" });
  res.end(JSON.stringify({ errors: [{ status, title: "x", detail, code, request_id: "req-test" }] }));
}

const noJitter = { random: () => 0, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 } };

describe("PlacementClient retries and timeouts", () => {
  it("sends the microversion header and the token on every request", async () => {
    const f = await fake((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"resource_providers": []}');
    });
    const client = new PlacementClient({ endpoint: f.url, auth: "secret-token", ...noJitter });
    expect(await client.listProviders({ member_of: ["in:a,b", "c"], name: "x" })).toEqual([]);
    expect(f.requests[0].url).toBe("/resource_providers?member_of=in%3Aa%2Cb&member_of=c&name=x");
    expect(f.requests[0].headers["openstack-api-version"]).toBe("placement 1.39");
    expect(f.requests[0].headers["x-auth-token"]).toBe("secret-token");
  });

  it("retries an idempotent request that answers 500 a bounded number of times, then says so", async () => {
    const f = await fake((_req, res) =>
      placementError(
        res,
        500,
        "placement.undefined_code",
        "500 Internal Server Error\n\nboom\n\n database is locked",
      ),
    );
    const client = new PlacementClient({ endpoint: f.url, auth: "admin", timeoutMs: 1000, ...noJitter });
    const err = await client.getInventories("rp").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlacementError);
    expect((err as PlacementError).kind).toBe("server");
    expect((err as PlacementError).message).toBe(
      "`GET /resource_providers/rp/inventories`: Placement failed: database is locked (500, placement.undefined_code, request req-test, 3 attempts); " +
        "gave up after 3 attempts (retry policy: 3 attempts, backoff 1..1 ms, timeout 1000 ms each)",
    );
    expect(f.requests.length).toBe(3);
  });

  it("succeeds when a 500 clears up before the attempts run out", async () => {
    const f = await fake((_req, res, n) => {
      if (n < 3) return placementError(res, 503, "placement.undefined_code", "busy");
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"resource_provider_generation": 4, "traits": ["CUSTOM_X"]}');
    });
    const client = new PlacementClient({ endpoint: f.url, auth: "admin", ...noJitter });
    expect(await client.getTraits("rp")).toEqual({ generation: 4, traits: ["CUSTOM_X"] });
    expect(f.requests.length).toBe(3);
  });

  it("never retries a POST that answered 500, since it may have been applied", async () => {
    const f = await fake((_req, res) => placementError(res, 500, "placement.undefined_code", "boom"));
    const client = new PlacementClient({ endpoint: f.url, auth: "admin", ...noJitter });
    const err = await client.createProvider("rp-uuid", "fw-1").catch((e: unknown) => e);
    expect((err as PlacementError).message).toBe(
      "`POST /resource_providers`: Placement failed: boom (500, placement.undefined_code, request req-test, 1 attempt)",
    );
    expect(f.requests.length).toBe(1);
  });

  it("retries a bulk `POST /allocations` like a PUT, since every consumer in it carries its generation", async () => {
    const f = await fake((_req, res, n) => {
      if (n === 1) return placementError(res, 503, "placement.undefined_code", "busy");
      res.writeHead(204);
      res.end();
    });
    const client = new PlacementClient({ endpoint: f.url, auth: "admin", ...noJitter });
    const write = {
      allocations: {},
      project_id: "p",
      user_id: "u",
      consumer_generation: 2,
      consumer_type: "X",
    };
    await client.postAllocations({ c1: write });
    expect(f.requests.map((r) => `${r.method} ${r.url}`)).toEqual(["POST /allocations", "POST /allocations"]);
  });

  it("times out a request that never gets an answer, retries it, then gives a clear timeout error", async () => {
    const f = await fake(() => undefined); // accepts, reads, never answers
    const client = new PlacementClient({
      endpoint: f.url,
      auth: "admin",
      timeoutMs: 150,
      random: () => 0,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    });
    const err = await client.getProvider("rp").catch((e: unknown) => e);
    expect((err as PlacementError).kind).toBe("timeout");
    expect((err as PlacementError).message).toBe(
      "`GET /resource_providers/rp`: timed out: no answer within 150 ms (2 attempts); gave up after 2 attempts (retry policy: 2 attempts, backoff 1..1 ms, timeout 150 ms each)",
    );
    expect(f.requests.length).toBe(2);
  });

  it("reports a refused connection as Placement unreachable after its retries", async () => {
    const port = await freePort();
    const client = new PlacementClient({ endpoint: `http://127.0.0.1:${port}`, auth: "admin", ...noJitter });
    const err = await client.listResourceClasses().catch((e: unknown) => e);
    expect((err as PlacementError).kind).toBe("unavailable");
    expect((err as PlacementError).info.attempts).toBe(3);
    expect((err as PlacementError).message).toContain(`(ECONNREFUSED) at http://127.0.0.1:${port}`);
  });

  it("retries Placement's internal write race but not a stale generation the caller sent", async () => {
    const race = await fake((_req, res, n) => {
      if (n === 1)
        return placementError(
          res,
          409,
          "placement.concurrent_update",
          "Inventory and/or allocations changed while attempting to allocate: Another thread concurrently updated the data.",
        );
      res.writeHead(204);
      res.end();
    });
    await new PlacementClient({ endpoint: race.url, auth: "admin", ...noJitter }).putAllocations("c", {
      allocations: {},
      project_id: "p",
      user_id: "u",
      consumer_generation: 1,
      consumer_type: "SERVICEVM",
    });
    expect(race.requests.length).toBe(2);

    const stale = await fake((_req, res) =>
      placementError(
        res,
        409,
        "placement.concurrent_update",
        "409 Conflict\n\nThere was a conflict when trying to complete your request.\n\n resource provider generation conflict",
      ),
    );
    const err = await new PlacementClient({ endpoint: stale.url, auth: "admin", ...noJitter })
      .putTraits("rp", 3, [])
      .catch((e: unknown) => e);
    expect((err as PlacementError).kind).toBe("generation-conflict");
    expect((err as PlacementError).message).toBe(
      "`PUT /resource_providers/rp/traits`: generation conflict (someone else changed it first; re-read and retry): resource provider generation conflict (409, placement.concurrent_update, request req-test, 1 attempt)",
    );
    expect(stale.requests.length).toBe(1);
  });

  it("authenticates again once when Placement answers 401 to a token", async () => {
    const f = await fake((req, res) => {
      if (req.headers["x-auth-token"] !== "fresh")
        return placementError(res, 401, "placement.undefined_code", "expired");
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"resource_classes": [{"name": "VCPU"}]}');
    });
    let token = "expired";
    let invalidated = 0;
    const client = new PlacementClient({
      endpoint: f.url,
      auth: {
        token: () => Promise.resolve(token),
        invalidate: () => {
          invalidated++;
          token = "fresh";
        },
      },
      ...noJitter,
    });
    expect(await client.listResourceClasses()).toEqual(["VCPU"]);
    expect(invalidated).toBe(1);
    expect(f.requests.map((r) => r.headers["x-auth-token"])).toEqual(["expired", "fresh"]);
  });

  it("fails with the install command when placement-api is not installed", () => {
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      expect(() => findPlacementApi()).toThrow(
        "`placement-api` is not installed, and the Placement backend tests need a real OpenStack Placement: run `apt-get install -y python3-placement` (`.ci/run` does it on CI)",
      );
    } finally {
      process.env.PATH = path;
    }
  });
});
