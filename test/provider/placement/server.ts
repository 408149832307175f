/**
 * A real OpenStack Placement for tests: Debian's python3-placement (Placement 8.0) on a free
 * 127.0.0.1 port, noauth2, a fresh SQLite database in a temp dir per instance (on /dev/shm when
 * there is one, so fsync costs nothing).
 *
 * By default the Placement WSGI app is served by `serve.py` beside this file: the same
 * single-threaded wsgiref server as `placement-api`, with an accept queue of 128 instead of 5
 * (with 5, more than ~6 connections in flight cost a 1 s SYN retransmit). `server: "placement-api"`
 * runs Debian's `placement-api` script itself.
 *
 * `start` polls `GET /` until it answers (bounded); `stop` kills the process and removes the dir;
 * `kill` stops it abruptly (SIGKILL) keeping the database, and `restart` brings it back on the same
 * port and database, for fault tests. Every started process is also killed when the test process
 * exits, so none is ever left behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import {
  accessSync,
  constants,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  openSync,
  closeSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

export const PLACEMENT_TOKEN = "admin";

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export function findPlacementApi(): string {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, "placement-api");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(
    "`placement-api` is not installed, and the Placement backend tests need a real OpenStack Placement: " +
      "run `apt-get install -y python3-placement` (`.ci/run` does it on CI)",
  );
}

/** The interpreter `placement-api` runs with (its shebang), which is the one that has the `placement` module. */
function pythonOf(bin: string): string {
  const first = readFileSync(bin, "utf8").split("\n", 1)[0] ?? "";
  const m = /^#!\s*(\S+)/.exec(first);
  return m?.[1] ?? "/usr/bin/python3";
}

/** serve.py beside this file, or, when running compiled from dist/test/provider/placement, in the source tree. */
function serveScript(): string {
  const candidates = [
    join(__dirname, "serve.py"),
    join(__dirname, "..", "..", "..", "..", "test", "provider", "placement", "serve.py"),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) throw new Error(`serve.py not found (looked in ${candidates.join(", ")})`);
  return found;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface PlacementServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Process id of the running server, `null` while it is down (after `kill`, before `restart`). */
  readonly pid: number | null;
  /** SIGKILL, keeping the database (a crash). */
  kill(): Promise<void>;
  /** Start again on the same port and database. */
  restart(): Promise<void>;
  /** Stop and delete the database. */
  stop(): Promise<void>;
  /** The server's log so far (for failure messages). */
  log(): string;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

export interface StartOptions {
  /** @default 60000 */
  readyTimeoutMs?: number;
  /** @default "serve.py" */
  server?: "serve.py" | "placement-api";
}

export async function startPlacement(options: StartOptions = {}): Promise<PlacementServer> {
  const bin = findPlacementApi();
  const [command, args] =
    options.server === "placement-api"
      ? [bin, (port: number) => ["--port", String(port), "--host", "127.0.0.1"]]
      : [pythonOf(bin), (port: number) => [serveScript(), "127.0.0.1", String(port)]];
  const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  const dir = mkdtempSync(join(base, "servicevm-placement-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(dir, "placement.conf"),
    [
      "[DEFAULT]",
      "debug = false",
      "[api]",
      "auth_strategy = noauth2",
      "[placement_database]",
      `connection = sqlite:///${join(dir, "placement.db")}`,
      "sync_on_startup = true",
      "",
    ].join("\n"),
  );
  const logPath = join(dir, "placement.log");
  let child: ChildProcess | null = null;

  const launch = async (): Promise<void> => {
    const fd = openSync(logPath, "a");
    const proc = spawn(command, args(port), {
      env: { ...process.env, OS_PLACEMENT_CONFIG_DIR: dir },
      stdio: ["ignore", fd, fd],
    });
    closeSync(fd);
    live.add(proc);
    proc.once("exit", () => live.delete(proc));
    child = proc;
    const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(
          `placement-api exited during start (code ${proc.exitCode}); log:\n${readFileSync(logPath, "utf8").slice(-2000)}`,
        );
      }
      try {
        const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) });
        await res.text();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        proc.kill("SIGKILL");
        throw new Error(
          `placement-api did not answer on ${url} within ${options.readyTimeoutMs ?? 60_000} ms; log:\n${readFileSync(logPath, "utf8").slice(-2000)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const kill = async (): Promise<void> => {
    const proc = child;
    if (proc === null) return;
    child = null;
    proc.kill("SIGKILL");
    await exited(proc);
  };

  try {
    await launch();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    port,
    dir,
    get pid(): number | null {
      return child?.pid ?? null;
    },
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => (existsSync(logPath) ? readFileSync(logPath, "utf8") : ""),
  };
}
