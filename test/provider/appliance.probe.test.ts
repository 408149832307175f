/**
 * Appliance probes against real HTTP and HTTPS servers on 127.0.0.1 (`probeServer.ts`; its
 * `/auth/...` paths require Basic auth), and a port with nothing listening. The monotonic clock is
 * injected, so latencies are exact and nothing depends on timing.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probe } from "../../provider/probe";
import { ACCOUNT, type ProbeServers, startProbeServers, steppingClock } from "./probeServer";

let servers: ProbeServers;
let httpBase = "";
let httpsBase = "";
let certFile = "";
let closedPort = 0;
let seenAuth: Map<string, string | undefined>;

beforeAll(async () => {
  servers = await startProbeServers();
  ({ httpBase, httpsBase, certFile, closedPort, seenAuth } = servers);
});

afterAll(() => servers.close());

describe("appliance probe", () => {
  it("finds an HTTP appliance reachable and measures latency with the injected clock", async () => {
    expect(await probe({ url: `${httpBase}/200`, timeoutMs: 5000 }, steppingClock(42))).toEqual({
      reachable: true,
      httpStatus: 200,
      status: "HTTP 200",
      latencyMs: 42,
    });
  });

  it("counts a 401 as reachable: the management plane answered", async () => {
    expect(await probe({ url: `${httpBase}/401`, timeoutMs: 5000 }, steppingClock(3))).toEqual({
      reachable: true,
      httpStatus: 401,
      status: "HTTP 401",
      latencyMs: 3,
    });
  });

  it("counts a 503 as unreachable", async () => {
    expect(await probe({ url: `${httpBase}/503`, timeoutMs: 5000 }, steppingClock(5))).toEqual({
      reachable: false,
      httpStatus: 503,
      status: "HTTP 503",
      latencyMs: 5,
    });
  });

  it("never sends credentials over plain HTTP", async () => {
    await probe({ url: `${httpBase}/204`, timeoutMs: 5000, ...ACCOUNT }, steppingClock(1));
    expect(seenAuth.get("/204")).toBeUndefined();
  });

  it("reports a port with nothing listening as refused", async () => {
    expect(
      await probe({ url: `http://127.0.0.1:${closedPort}/`, timeoutMs: 5000 }, steppingClock(1)),
    ).toEqual({
      reachable: false,
      httpStatus: null,
      status: "ECONNREFUSED",
      latencyMs: null,
    });
  });

  it("reports an appliance that does not answer within the timeout", async () => {
    expect(await probe({ url: `${httpBase}/hang`, timeoutMs: 50 }, steppingClock(1))).toEqual({
      reachable: false,
      httpStatus: null,
      status: "timeout",
      latencyMs: null,
    });
  });

  it("refuses a self-signed HTTPS appliance without a CA bundle", async () => {
    expect(await probe({ url: `${httpsBase}/200`, timeoutMs: 5000 }, steppingClock(1))).toEqual({
      reachable: false,
      httpStatus: null,
      status: "DEPTH_ZERO_SELF_SIGNED_CERT",
      latencyMs: null,
    });
  });

  it("trusts the CA bundle file and then sends the credentials the appliance requires", async () => {
    expect(
      await probe(
        { url: `${httpsBase}/auth/202`, timeoutMs: 5000, caFile: certFile, ...ACCOUNT },
        steppingClock(9),
      ),
    ).toEqual({ reachable: true, httpStatus: 202, status: "HTTP 202", latencyMs: 9 });
    expect(seenAuth.get("/auth/202")).toBe(`Basic ${Buffer.from("admin:pw").toString("base64")}`);
  });

  it("gets a 401 from an appliance that requires auth when the password is wrong or absent", async () => {
    const url = `${httpsBase}/auth/200`;
    const wrong = { url, timeoutMs: 5000, caFile: certFile, username: "admin", password: "wrong" };
    const rejected = { reachable: true, httpStatus: 401, status: "HTTP 401", latencyMs: 4 };
    expect(await probe(wrong, steppingClock(4))).toEqual(rejected);
    expect(await probe({ url, timeoutMs: 5000, caFile: certFile }, steppingClock(4))).toEqual(rejected);
  });

  it("reaches a self-signed appliance with explicit insecure, without sending credentials", async () => {
    expect(
      await probe({ url: `${httpsBase}/203`, timeoutMs: 5000, insecure: true, ...ACCOUNT }, steppingClock(2)),
    ).toEqual({ reachable: true, httpStatus: 203, status: "HTTP 203", latencyMs: 2 });
    expect(seenAuth.get("/203")).toBeUndefined();
  });

  it.each([
    ["a missing file", "missing.pem", "no such file"],
    ["a directory", "", "is a directory"],
  ])("reports %s as CA file with a status, without a request", async (_what, file, reason) => {
    const caFile = path.join(servers.dir, file);
    const url = `${httpsBase}/ca-${reason.length}`;
    expect(await probe({ url, timeoutMs: 5000, caFile, ...ACCOUNT }, steppingClock(1))).toEqual({
      reachable: false,
      httpStatus: null,
      status: `CA file \`${caFile}\` cannot be read: ${reason}`,
      latencyMs: null,
    });
    expect(seenAuth.has(`/ca-${reason.length}`)).toBe(false);
  });

  it("does not trust a CA file that holds no certificate, and does not throw", async () => {
    const caFile = path.join(servers.dir, "empty.pem");
    fs.writeFileSync(caFile, "not a certificate\n");
    expect(
      await probe({ url: `${httpsBase}/200`, timeoutMs: 5000, caFile, ...ACCOUNT }, steppingClock(1)),
    ).toEqual({ reachable: false, httpStatus: null, status: "DEPTH_ZERO_SELF_SIGNED_CERT", latencyMs: null });
  });

  it.each([
    ["not a url", "invalid-url"],
    ["ftp://127.0.0.1/", "unsupported-scheme"],
  ])("reports %s as %s without a request", async (url, status) => {
    expect(await probe({ url, timeoutMs: 10 })).toEqual({
      reachable: false,
      httpStatus: null,
      status,
      latencyMs: null,
    });
  });
});
