/**
 * A WSGI application of Debian's (Placement's `placement-api`, Keystone's `keystone-wsgi-public`)
 * served as production serves it: uwsgi's master with N worker processes on an `http-socket`,
 * 127.0.0.1 only. The master's process id is the group's; `killWorker` kills one worker abruptly
 * and the master starts another, as uwsgi does in production.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { childPids, launch, stopGroup, tail, waitUntil } from "./processes";

export interface UwsgiApp {
  readonly url: string;
  readonly port: number;
  /** The master's process id (and process group). */
  readonly pid: number;
  /** Current worker process ids. */
  workers(): number[];
  /** SIGKILLs worker `pid` (a crash); uwsgi's master respawns one. */
  killWorker(pid: number): void;
  stop(): Promise<void>;
  log(): string;
}

export interface UwsgiOptions {
  /** What the failure messages call it. */
  name: string;
  wsgiFile: string;
  port: number;
  processes: number;
  env: Record<string, string>;
  logPath: string;
  /** A path that answers 2xx..4xx once the app is loaded (`/` for Placement, `/v3` for Keystone). */
  probePath: string;
  readyTimeoutMs: number;
  /**
   * Answer every request with `Connection: close`. Keystone needs it: keystonemiddleware (inside
   * Placement) reuses a connection uwsgi's http-socket is about to close, and Placement then
   * answers 503 "The Keystone service is temporarily unavailable". Placement itself is served
   * without it, as the issue found it, so the client's handling of closed kept-alive connections
   * is what the tests exercise.
   */
  closeConnections?: boolean;
}

export function findUwsgi(): void {
  for (const bin of ["/usr/bin/uwsgi", "/usr/lib/uwsgi/plugins/python3_plugin.so"]) {
    if (!existsSync(bin))
      throw new Error(
        `${bin} is missing: the production-shaped Placement runs under uwsgi; run \`apt-get install -y uwsgi-core uwsgi-plugin-python3\` (\`.ci/run\` does it on CI)`,
      );
  }
}

export async function startUwsgi(options: UwsgiOptions): Promise<UwsgiApp> {
  findUwsgi();
  const url = `http://127.0.0.1:${options.port}`;
  const child: ChildProcess = launch(
    "/usr/bin/uwsgi",
    [
      "--plugin",
      "python3",
      "--http-socket",
      `127.0.0.1:${options.port}`,
      "--wsgi-file",
      options.wsgiFile,
      "--master",
      "--processes",
      String(options.processes),
      "--lazy-apps",
      "--need-app",
      "--die-on-term",
      "--listen",
      "128",
      "--buffer-size",
      "65535",
      "--disable-logging",
      ...(options.closeConnections === true ? ["--add-header", "Connection: close"] : []),
    ],
    options.logPath,
    options.env,
  );
  const pid = child.pid ?? -1;
  // Ready when every worker has loaded the app: each answers the probe in turn (uwsgi hands
  // connections to whichever worker accepts first, so ask as many times as there are workers).
  let answered = 0;
  await waitUntil(
    options.name,
    child,
    async () => {
      const res = await fetch(url + options.probePath, {
        headers: { connection: "close" },
        signal: AbortSignal.timeout(5000),
      });
      await res.text();
      if (res.status >= 500) return false;
      answered++;
      return answered >= options.processes && childPids(pid).length >= options.processes;
    },
    options.readyTimeoutMs,
    () => tail(options.logPath),
  );
  return {
    url,
    port: options.port,
    pid,
    workers: () => childPids(pid),
    killWorker(worker: number) {
      if (!childPids(pid).includes(worker))
        throw new Error(`${worker} is not a worker of ${options.name} (master ${pid})`);
      process.kill(worker, "SIGKILL");
    },
    stop: () => stopGroup(child),
    log: () => tail(options.logPath),
  };
}
