/**
 * Probes an appliance's management URL over HTTP or HTTPS. An appliance is reachable when it
 * answers with any HTTP status below 500 within the timeout: a 401 still proves the management
 * plane is up. Credentials are sent (HTTP Basic) only over verified TLS, never over plain HTTP or
 * an `insecure` connection, and never appear in results or error texts. A CA file that cannot be
 * read is a status like every other failure, not a throw.
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
  /**
   * `HTTP <code>`, `timeout`, the socket/TLS error code (`ECONNREFUSED`, `DEPTH_ZERO_SELF_SIGNED_CERT`),
   * or ``CA file `<path>` cannot be read: <reason>``.
   */
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

/** Why a file could not be read, in words for the common causes, else the error code. */
const READ_FAILURES: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "is a directory",
};

function noAnswer(status: string): ProbeResult {
  return { reachable: false, httpStatus: null, status, latencyMs: null };
}

/**
 * Whether the probe sends `username` and `password`: only over HTTPS whose certificate is verified
 * (never plain HTTP, never `insecure`), and only when both are given. The one rule for sending
 * credentials; the provider uses it to tell a rejected password from an appliance that wants none.
 */
export function sendsCredentials(req: ProbeRequest): boolean {
  if (req.insecure === true || req.username === undefined || req.password === undefined) return false;
  try {
    return new URL(req.url).protocol === "https:";
  } catch {
    return false;
  }
}

export function probe(req: ProbeRequest, clock: MonotonicClock = defaultMonotonic): Promise<ProbeResult> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return Promise.resolve(noAnswer("invalid-url"));
  }
  const isHttps = url.protocol === "https:";
  if (!isHttps && url.protocol !== "http:") {
    return Promise.resolve(noAnswer("unsupported-scheme"));
  }
  const headers: Record<string, string> = { "user-agent": "servicevm-probe" };
  if (sendsCredentials(req)) {
    headers.authorization = `Basic ${Buffer.from(`${req.username}:${req.password}`).toString("base64")}`;
  }
  const options: https.RequestOptions = { method: "GET", headers, timeout: req.timeoutMs, agent: false };
  if (isHttps) {
    if (req.caFile !== undefined) {
      try {
        options.ca = fs.readFileSync(req.caFile);
      } catch (err) {
        const code = errorCode(err);
        return Promise.resolve(
          noAnswer(`CA file \`${req.caFile}\` cannot be read: ${READ_FAILURES[code] ?? code}`),
        );
      }
    }
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
      finish(noAnswer("timeout"));
      request.destroy();
    });
    request.on("error", (err) => finish(noAnswer(errorCode(err))));
    request.end();
  });
}
