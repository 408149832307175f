/**
 * Kept-alive connections a server closes, on a real HTTP server on 127.0.0.1 that answers as uwsgi's
 * `--http-socket` does (measured on the production shape, test/production/uwsgi.ts): one request per
 * connection, answered `HTTP/1.1` with a `Content-Length` and no `Connection` header, then the
 * connection closed; whatever else came on it is dropped unanswered. Not proved here: uwsgi's own
 * timing (test/production/keepalive.test.ts runs against it).
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { PlacementClient } from "../../../provider/placement/client";
import { PlacementError } from "../../../provider/placement/errors";

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Which connection (1-based, in accept order) it came on. */
  connection: number;
  /** Answered, or dropped because the connection had answered already. */
  answered: boolean;
}

interface UwsgiLike {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

const open: UwsgiLike[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/**
 * Answers each connection's first request with `answer(request)` (written to the socket as uwsgi
 * writes it) and closes the connection `closeAfterMs` later (uwsgi: at once; a delay makes the race
 * with the client's next request certain). `answer` returning null cuts the connection instead.
 */
async function uwsgiLike(
  answer: (seen: Seen) => { status: number; body: string; cutAfter?: number } | null,
  closeAfterMs = 0,
): Promise<UwsgiLike> {
  const seen: Seen[] = [];
  const connections = new Map<Socket, number>();
  const answeredOn = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const socket = req.socket;
    const entry: Seen = {
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      connection: connections.get(socket) ?? 0,
      answered: !answeredOn.has(socket),
    };
    seen.push(entry);
    if (!entry.answered) return; // uwsgi reads one request per connection
    answeredOn.add(socket);
    req.resume();
    req.on("end", () => {
      const a = answer(entry);
      if (a === null) return void socket.destroy();
      const raw =
        `HTTP/1.1 ${a.status} OK\r\nContent-Length: ${Buffer.byteLength(a.body)}\r\n` +
        `Content-Type: application/json\r\nopenstack-api-version: placement 1.39\r\n\r\n${a.body}`;
      void res; // never used: node:http would announce keep-alive; the answer goes out raw
      socket.write(a.cutAfter === undefined ? raw : raw.slice(0, a.cutAfter));
      setTimeout(() => socket.destroy(), a.cutAfter === undefined ? closeAfterMs : 0);
    });
  });
  server.on("connection", (socket: Socket) => connections.set(socket, connections.size + 1));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const s: UwsgiLike = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  open.push(s);
  return s;
}

const PROVIDERS = { status: 200, body: '{"resource_providers": []}' };

/** A client allowed one attempt per request: every success below is without a retry. */
function oneAttempt(url: string, stale: string[], retried: string[] = []): PlacementClient {
  return new PlacementClient({
    endpoint: url,
    auth: "admin",
    timeoutMs: 2000,
    retry: { attempts: 1 },
    onStaleConnection: (method, path) => stale.push(`${method} ${path}`),
    onRetry: (failure) => retried.push(failure.message),
  });
}

describe("kept-alive connections the server closes (uwsgi's http-socket)", () => {
  it("resends a GET that went out on a connection the server had closed, at once on a new connection and outside the retry policy, then opens a new connection for every request", async () => {
    const server = await uwsgiLike(() => PROVIDERS, 50);
    const stale: string[] = [];
    const client = oneAttempt(server.url, stale);
    for (let i = 0; i < 10; i++) expect(await client.listProviders()).toEqual([]);
    // The first answer puts its connection back in the pool; the second GET goes out on it, is
    // dropped when the server closes it, and is resent on a new connection with `Connection: close`.
    // The server closed it 50 ms after an answer (< CLOSES_AFTER_ANSWER_MS): it keeps nothing alive,
    // so every later request gets a new connection and none meets a closed one.
    expect(stale).toEqual(["GET /resource_providers"]);
    expect(server.seen.map((s) => [s.connection, s.answered, s.headers.connection])).toEqual([
      [1, true, "keep-alive"],
      [1, false, "keep-alive"],
      ...Array.from({ length: 9 }, (_, i) => [i + 2, true, "close"]),
    ]);
  });

  it("serves many sequential and concurrent requests when the server closes every connection at once", async () => {
    const server = await uwsgiLike(() => PROVIDERS);
    const stale: string[] = [];
    const client = oneAttempt(server.url, stale);
    for (let i = 0; i < 50; i++) await client.listProviders();
    await Promise.all(Array.from({ length: 200 }, () => client.listProviders()));
    expect(server.seen.filter((s) => s.answered).length).toBe(250);
    // At most the second request meets a closed connection (when it goes out before the first
    // connection's close is seen); from the first close on, every request gets a new connection.
    expect(stale.length).toBeLessThanOrEqual(1);
    expect(server.seen.filter((s) => !s.answered).length).toBeLessThanOrEqual(stale.length);
    expect(server.seen.slice(-200).every((s) => s.answered && s.headers.connection === "close")).toBe(true);
  });

  it("sends a POST it may not replay on a new connection of its own, so it never meets a closed one", async () => {
    const server = await uwsgiLike(
      (s) => (s.method === "POST" ? { status: 200, body: '{"uuid": "u", "generation": 0}' } : PROVIDERS),
      50,
    );
    const stale: string[] = [];
    const client = oneAttempt(server.url, stale);
    await client.listProviders();
    expect(await client.createProvider("u", "fw-1")).toEqual({ uuid: "u", generation: 0 });
    expect(stale).toEqual([]);
    expect(server.seen.map((s) => [s.method, s.connection, s.answered, s.headers.connection])).toEqual([
      ["GET", 1, true, "keep-alive"],
      ["POST", 2, true, "close"],
    ]);
  });

  it("never sends a POST twice when its connection dies without an answer, and says it may have been applied", async () => {
    const server = await uwsgiLike(() => null);
    const client = new PlacementClient({ endpoint: server.url, auth: "admin", retry: { attempts: 4 } });
    const err = await client.createProvider("u", "fw-1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlacementError);
    expect((err as PlacementError).message).toBe(
      `\`POST /resource_providers\`: Placement unreachable: socket hang up (ECONNRESET) at ${server.url}; ` +
        "not sent again, since Placement may have applied it (1 attempt)",
    );
    expect(server.seen.length).toBe(1);
  });

  it("retries a GET whose answer was cut mid-body as a failed attempt, then succeeds", async () => {
    const server = await uwsgiLike((s) => (s.connection === 1 ? { ...PROVIDERS, cutAfter: 120 } : PROVIDERS));
    const retried: string[] = [];
    const client = new PlacementClient({
      endpoint: server.url,
      auth: "admin",
      random: () => 0,
      retry: { attempts: 2 },
      onRetry: (failure) => retried.push(failure.message),
    });
    expect(await client.listProviders()).toEqual([]);
    expect(retried).toEqual([
      `\`GET /resource_providers\`: Placement unreachable: answer cut off after 120 bytes: aborted (ECONNRESET) at ${server.url} (1 attempt)`,
    ]);
    expect(server.seen.map((s) => s.connection)).toEqual([1, 2]);
  });
});

describe("kept-alive connections a server keeps", () => {
  it("sends every request of a sequence on one connection (keep-alive costs nothing where it works)", async () => {
    const connections: Socket[] = [];
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(PROVIDERS.body);
    });
    server.on("connection", (socket: Socket) => connections.push(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const stale: string[] = [];
      const client = oneAttempt(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, stale);
      for (let i = 0; i < 20; i++) await client.listProviders();
      expect(connections.length).toBe(1);
      expect(stale).toEqual([]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
