/**
 * Appliance probes against real HTTP and HTTPS servers on 127.0.0.1 (self-signed certificate made
 * with the `openssl` binary), and a port with nothing listening. The monotonic clock is injected,
 * so latencies are exact and nothing depends on timing.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probe } from "../../provider/probe";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "servicevm-probe-"));
const keyFile = path.join(dir, "key.pem");
const certFile = path.join(dir, "cert.pem");

/** Authorization headers the servers saw, by path. */
const seenAuth = new Map<string, string | undefined>();

function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  seenAuth.set(req.url ?? "", req.headers.authorization);
  if (req.url === "/hang") return; // never answers; the probe's timeout ends it
  const status = Number((req.url ?? "/200").slice(1)) || 200;
  res.writeHead(status, { "content-type": "text/plain" });
  res.end("ok\n");
}

let httpServer: http.Server;
let httpsServer: https.Server;
let httpBase = "";
let httpsBase = "";
let closedPort = 0;

function listen(server: http.Server | https.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
}

/** A clock that advances by `step` ms per reading. */
function steppingClock(step: number): () => number {
  let t = 1000;
  return () => {
    const now = t;
    t += step;
    return now;
  };
}

beforeAll(async () => {
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  httpServer = http.createServer(handler);
  httpsServer = https.createServer(
    { key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) },
    handler,
  );
  httpBase = `http://127.0.0.1:${await listen(httpServer)}`;
  httpsBase = `https://127.0.0.1:${await listen(httpsServer)}`;
  const spare = http.createServer();
  closedPort = await listen(spare);
  await new Promise<void>((resolve) => spare.close(() => resolve()));
});

afterAll(async () => {
  httpServer.closeAllConnections();
  httpsServer.closeAllConnections();
  await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  await new Promise<void>((resolve) => httpsServer.close(() => resolve()));
  fs.rmSync(dir, { recursive: true, force: true });
});

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
    await probe(
      { url: `${httpBase}/204`, timeoutMs: 5000, username: "admin", password: "pw" },
      steppingClock(1),
    );
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

  it("trusts the CA bundle file and then sends the credentials", async () => {
    expect(
      await probe(
        { url: `${httpsBase}/202`, timeoutMs: 5000, caFile: certFile, username: "admin", password: "pw" },
        steppingClock(9),
      ),
    ).toEqual({ reachable: true, httpStatus: 202, status: "HTTP 202", latencyMs: 9 });
    expect(seenAuth.get("/202")).toBe(`Basic ${Buffer.from("admin:pw").toString("base64")}`);
  });

  it("reaches a self-signed appliance with explicit insecure, without sending credentials", async () => {
    expect(
      await probe(
        { url: `${httpsBase}/203`, timeoutMs: 5000, insecure: true, username: "admin", password: "pw" },
        steppingClock(2),
      ),
    ).toEqual({ reachable: true, httpStatus: 203, status: "HTTP 203", latencyMs: 2 });
    expect(seenAuth.get("/203")).toBeUndefined();
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
