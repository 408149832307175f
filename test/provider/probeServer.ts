/**
 * Appliance stand-ins for the probe and provider tests: an HTTP and an HTTPS server on 127.0.0.1
 * (self-signed certificate made with the `openssl` binary) and a port with nothing listening.
 *
 * A path `/<code>` answers `<code>`; `/hang` never answers. A path `/auth/<code>` is a management
 * plane that requires HTTP Basic auth for {@link ACCOUNT}, as a real appliance does: it answers
 * `<code>` to those credentials and 401 to no or other credentials. Servers that ignore
 * credentials hid that `pulumi refresh` probed without them (issue 10).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/** The one account the appliances know. */
export const ACCOUNT = { username: "admin", password: "pw" } as const;

const AUTH_PREFIX = "/auth/";

export interface ProbeServers {
  httpBase: string;
  httpsBase: string;
  /** The HTTPS server's self-signed certificate, a CA bundle that trusts it. */
  certFile: string;
  /** A directory removed by `close()`, for files a test makes. */
  dir: string;
  /** A port with nothing listening. */
  closedPort: number;
  /** The Authorization header the servers last saw, by path. */
  seenAuth: Map<string, string | undefined>;
  close(): Promise<void>;
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

function listen(server: http.Server | https.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
}

function close(server: http.Server | https.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

export async function startProbeServers(): Promise<ProbeServers> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "servicevm-probe-"));
  const keyFile = path.join(dir, "key.pem");
  const certFile = path.join(dir, "cert.pem");
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
  const seenAuth = new Map<string, string | undefined>();
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = req.url ?? "/200";
    seenAuth.set(url, req.headers.authorization);
    if (url === "/hang") return; // never answers; the probe's timeout ends it
    const guarded = url.startsWith(AUTH_PREFIX);
    const status = Number(url.slice(guarded ? AUTH_PREFIX.length : 1)) || 200;
    if (guarded && req.headers.authorization !== basic(ACCOUNT.username, ACCOUNT.password)) {
      res.writeHead(401, { "content-type": "text/plain", "www-authenticate": 'Basic realm="appliance"' });
      res.end("unauthorized\n");
      return;
    }
    res.writeHead(status, { "content-type": "text/plain" });
    res.end("ok\n");
  };
  const httpServer = http.createServer(handler);
  const httpsServer = https.createServer(
    { key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) },
    handler,
  );
  const httpBase = `http://127.0.0.1:${await listen(httpServer)}`;
  const httpsBase = `https://127.0.0.1:${await listen(httpsServer)}`;
  const spare = http.createServer();
  const closedPort = await listen(spare);
  await close(spare);
  return {
    httpBase,
    httpsBase,
    certFile,
    dir,
    closedPort,
    seenAuth,
    close: async () => {
      await close(httpServer);
      await close(httpsServer);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A clock that advances by `step` ms per reading. */
export function steppingClock(step: number): () => number {
  let t = 1000;
  return () => {
    const now = t;
    t += step;
    return now;
  };
}
