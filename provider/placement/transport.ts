/**
 * One HTTP exchange with Placement on `node:http` / `node:https`, for client.ts: a request, its
 * whole answer or an `ExchangeFailure` that says how far it got.
 *
 * Why not `fetch`: Placement under uwsgi's `--http-socket` answers `HTTP/1.1` with a
 * `Content-Length`, no `Connection: close`, and closes the connection right after the answer. A
 * keep-alive client puts that socket back in its pool before the close arrives, and the next request
 * sent on it fails (`ECONNRESET`, undici's `UND_ERR_SOCKET` "other side closed"). `fetch` does not
 * say whether a failed request went out on a reused connection, nor lets one request ask for a new
 * one; `node:http` does both (`ClientRequest.reusedSocket`, `agent: false`), so the client can
 * resend exactly the requests that died on a kept-alive connection before any byte of an answer,
 * on a new connection, and send a request it must not replay on a new connection in the first place.
 *
 * Against uwsgi about half of the requests sent on a kept-alive connection meet it closed (measured:
 * 598 of 1,200 GETs), each costing a write and a reset. So an origin seen closing a connection
 * within `CLOSES_AFTER_ANSWER_MS` of answering on it gets a new connection for every request from
 * then on, as it does anyway; a server that keeps connections alive keeps them.
 */
import http from "node:http";
import https from "node:https";
import type { Socket } from "node:net";

export interface HttpAnswer {
  status: number;
  /** Header value by lower-case name, or null. */
  header(name: string): string | null;
  body: string;
}

export interface ExchangeRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
}

export interface ExchangeOptions {
  timeoutMs: number;
  /**
   * Send on a new connection closed after the answer (`Connection: close`), never on a kept-alive
   * one: for requests that must not be replayed, and for the resend of one a kept-alive connection
   * lost.
   */
  fresh: boolean;
}

/** How far an exchange got: nothing answered in time, no answer at all, or an answer cut short. */
export type ExchangeStage = "timeout" | "no-answer" | "cut";

export class ExchangeFailure extends Error {
  constructor(
    message: string,
    readonly stage: ExchangeStage,
    /** The system error code (`ECONNRESET`, `ECONNREFUSED`, ...), when there is one. */
    readonly code: string | null,
    /** Sent on a kept-alive connection an earlier exchange used. */
    readonly reused: boolean,
    /** Bytes of the answer received before the failure. */
    readonly received: number,
  ) {
    super(message);
    this.name = "ExchangeFailure";
  }

  /**
   * The server closed a kept-alive connection before this request reached it: nothing of an answer
   * came on a reused connection. (A server that died while handling the request looks the same;
   * the client resends only requests it may replay.)
   */
  get stale(): boolean {
    return this.reused && this.stage === "no-answer" && this.received === 0;
  }
}

/**
 * Kept-alive connections, one pool per protocol for every client in the process. Idle sockets are
 * `unref`ed by `node:http`, so they never keep a CLI running.
 */
const AGENTS: Record<string, http.Agent> = {
  "http:": new http.Agent({ keepAlive: true, scheduling: "lifo" }),
  "https:": new https.Agent({ keepAlive: true, scheduling: "lifo" }),
};

/**
 * A server that closes a connection this soon after answering on it keeps no connection alive worth
 * reusing; keep-alive timeouts are seconds (Apache 5 s, nginx 75 s).
 */
export const CLOSES_AFTER_ANSWER_MS = 1000;

/**
 * Origins seen closing a connection right after an answer: their requests go on new connections
 * for the life of the process (a server's keep-alive setting does not change under a running sync).
 */
const closingOrigins = new Set<string>();
/** When each kept-alive socket last carried a whole answer. */
const lastAnswer = new WeakMap<Socket, number>();

/** Marks `origin` when `socket` (closed by the server) had carried an answer just before. */
function closedSoon(origin: string, socket: Socket): void {
  if (Date.now() - (lastAnswer.get(socket) ?? -Infinity) < CLOSES_AFTER_ANSWER_MS) closingOrigins.add(origin);
}

/** Notes an answer on a kept-alive socket, and watches for the server closing it (a FIN, or a reset). */
function watchClose(origin: string, socket: Socket): void {
  const watched = lastAnswer.has(socket);
  lastAnswer.set(socket, Date.now());
  if (!watched) socket.once("end", () => closedSoon(origin, socket));
}

function codeOf(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : null;
}

/** Sends one request and reads its whole answer; rejects with `ExchangeFailure` only. */
export function exchange(url: URL, request: ExchangeRequest, options: ExchangeOptions): Promise<HttpAnswer> {
  const agent = AGENTS[url.protocol];
  if (agent === undefined)
    return Promise.reject(new Error(`unsupported protocol ${url.protocol} in ${url.href}`));
  const headers = { ...request.headers };
  if (request.body !== undefined) headers["content-length"] = String(Buffer.byteLength(request.body));
  const open = url.protocol === "https:" ? https.request : http.request;
  const fresh = options.fresh || closingOrigins.has(url.origin);
  return new Promise<HttpAnswer>((resolve, reject) => {
    let socket: Socket | null = null;
    let before = 0;
    let settled = false;
    const received = (): number => (socket === null ? 0 : socket.bytesRead - before);
    const fail = (stage: ExchangeStage, message: string, code: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const failure = new ExchangeFailure(message, stage, code, req.reusedSocket, received());
      if (failure.stale && socket !== null) closedSoon(url.origin, socket);
      req.destroy();
      reject(failure);
    };
    const req = open(url, { method: request.method, headers, agent: fresh ? false : agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", (err) => fail("cut", err.message, codeOf(err) ?? "ECONNRESET"));
      res.on("close", () => {
        if (!res.complete) fail("cut", "connection closed before the whole answer", "ECONNRESET");
      });
      res.on("end", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (!fresh && socket !== null) watchClose(url.origin, socket);
        const values = res.headers;
        resolve({
          status: res.statusCode ?? 0,
          header: (name) => {
            const v = values[name.toLowerCase()];
            return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
          },
          body: Buffer.concat(chunks).toString("utf8"),
        });
      });
    });
    req.on("socket", (s) => {
      socket = s;
      before = s.bytesRead;
    });
    req.on("error", (err) => fail(received() > 0 ? "cut" : "no-answer", err.message, codeOf(err)));
    const timer = setTimeout(
      () => fail("timeout", `no answer within ${options.timeoutMs} ms`, null),
      options.timeoutMs,
    );
    req.end(request.body);
  });
}

/**
 * Sends a request as client.ts means it: an idempotent one on a kept-alive connection, and once
 * more at once on a new one when the server had closed that connection before the request reached
 * it (`ExchangeFailure.stale`; `onStale` is told); any other on a new connection, so its failure
 * means Placement may have received it, never that a kept-alive connection was stale.
 */
export async function send(
  url: URL,
  request: ExchangeRequest,
  options: { timeoutMs: number; idempotent: boolean; onStale: () => void },
): Promise<HttpAnswer> {
  const how = { timeoutMs: options.timeoutMs, fresh: !options.idempotent };
  try {
    return await exchange(url, request, how);
  } catch (err) {
    if (!(err instanceof ExchangeFailure && err.stale)) throw err;
    options.onStale();
    return exchange(url, request, { ...how, fresh: true });
  }
}

/** What a failed exchange tells the user: how far it got, the system code, where, and whether it was sent again. */
export function describeFailure(err: ExchangeFailure, endpoint: string, idempotent: boolean): string {
  const code = err.code === null ? "" : ` (${err.code})`;
  const what =
    err.stage === "timeout"
      ? err.message
      : err.stage === "cut"
        ? `answer cut off after ${err.received} bytes: ${err.message}${code} at ${endpoint}`
        : `${err.message}${code} at ${endpoint}`;
  return idempotent ? what : `${what}; not sent again, since Placement may have applied it`;
}
