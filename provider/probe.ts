/**
 * Probes an appliance's management URL over HTTP or HTTPS. An appliance is reachable when it
 * answers with any HTTP status below 500 within the timeout: a 401 still proves the management
 * plane is up. Credentials are sent (HTTP Basic) only over verified TLS, never over plain HTTP or
 * an `insecure` connection, and never appear in results or error texts.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";

export interface ProbeRequest {
  url: string;
  timeoutMs: number;
  /** PEM bundle of CAs to trust instead of the system ones. */
  caFile?: string;
  /** Skip TLS verification (self-signed appliances without a CA bundle). */
  insecure?: boolean;
  username?: string;
  password?: string;
}

export interface ProbeResult {
  reachable: boolean;
  /** HTTP status code, or `null` when no response arrived. */
  httpStatus: number | null;
  /** `HTTP <code>`, `timeout`, or the socket/TLS error code (`ECONNREFUSED`, `DEPTH_ZERO_SELF_SIGNED_CERT`). */
  status: string;
  /** Round trip in whole milliseconds, `null` when no response arrived. */
  latencyMs: number | null;
}

/** A monotonic millisecond clock; injected in tests. */
export type MonotonicClock = () => number;

export const defaultMonotonic: MonotonicClock = () => performance.now();

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : "error";
}

export function probe(req: ProbeRequest, clock: MonotonicClock = defaultMonotonic): Promise<ProbeResult> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return Promise.resolve({ reachable: false, httpStatus: null, status: "invalid-url", latencyMs: null });
  }
  const isHttps = url.protocol === "https:";
  if (!isHttps && url.protocol !== "http:") {
    return Promise.resolve({
      reachable: false,
      httpStatus: null,
      status: "unsupported-scheme",
      latencyMs: null,
    });
  }
  const headers: Record<string, string> = { "user-agent": "servicevm-probe" };
  if (isHttps && req.insecure !== true && req.username !== undefined && req.password !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${req.username}:${req.password}`).toString("base64")}`;
  }
  const options: https.RequestOptions = { method: "GET", headers, timeout: req.timeoutMs, agent: false };
  if (isHttps) {
    if (req.caFile !== undefined) options.ca = fs.readFileSync(req.caFile);
    options.rejectUnauthorized = req.insecure !== true;
  }
  return new Promise((resolve) => {
    const start = clock();
    let settled = false;
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const onResponse = (res: http.IncomingMessage): void => {
      const status = res.statusCode ?? 0;
      const latencyMs = Math.round(clock() - start);
      res.resume();
      finish({
        reachable: status > 0 && status < 500,
        httpStatus: status,
        status: `HTTP ${status}`,
        latencyMs,
      });
    };
    const request = isHttps
      ? https.request(url, options, onResponse)
      : http.request(url, options, onResponse);
    request.on("timeout", () => {
      finish({ reachable: false, httpStatus: null, status: "timeout", latencyMs: null });
      request.destroy();
    });
    request.on("error", (err) =>
      finish({ reachable: false, httpStatus: null, status: errorCode(err), latencyMs: null }),
    );
    request.end();
  });
}
