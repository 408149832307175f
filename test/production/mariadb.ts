/**
 * A MariaDB server for one suite: Debian's `mariadbd` on a fresh data directory (on /dev/shm when
 * there is one), 127.0.0.1 and a free port, the transaction isolation chosen per suite. Root
 * connects over the unix socket; the services get their own users and databases (`createDatabase`).
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../provider/placement/server";
import { launch, run, stopGroup, tail, waitUntil } from "./processes";

export type Isolation = "REPEATABLE-READ" | "READ-COMMITTED";

export interface MariaDb {
  readonly port: number;
  readonly isolation: Isolation;
  readonly dir: string;
  readonly pid: number | null;
  /** Runs SQL as root; answers the tab-separated rows (no header). */
  sql(statement: string): string;
  /** Creates database `name` and user `name`@127.0.0.1 with all rights on it; answers the SQLAlchemy URL. */
  createDatabase(name: string, password: string): string;
  /** Stops the server (SIGTERM, a clean shutdown) and starts it again on the same data and port. */
  restart(pauseMs?: number): Promise<void>;
  stop(): Promise<void>;
  log(): string;
}

export function findMariaDb(): void {
  for (const bin of ["/usr/sbin/mariadbd", "/usr/bin/mariadb-install-db", "/usr/bin/mariadb"]) {
    if (!existsSync(bin))
      throw new Error(
        `${bin} is missing: the production-shaped Placement needs MariaDB; run \`apt-get install -y mariadb-server\` (\`.ci/run\` does it on CI)`,
      );
  }
}

export async function startMariaDb(isolation: Isolation, readyTimeoutMs = 60_000): Promise<MariaDb> {
  findMariaDb();
  const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  const dir = mkdtempSync(join(base, "servicevm-mariadb-"));
  const data = join(dir, "data");
  const socket = join(dir, "mysqld.sock");
  const logPath = join(dir, "mariadb.log");
  run("/usr/bin/mariadb-install-db", [
    "--no-defaults",
    `--datadir=${data}`,
    "--user=root",
    "--auth-root-authentication-method=socket",
    "--skip-test-db",
  ]);
  const port = await freePort();
  let child: ChildProcess | null = null;

  const sql = (statement: string): string =>
    run("/usr/bin/mariadb", [
      "--no-defaults",
      `--socket=${socket}`,
      "-uroot",
      "--batch",
      "--skip-column-names",
      "-e",
      statement,
    ]);

  const start = async (): Promise<void> => {
    const proc = launch(
      "/usr/sbin/mariadbd",
      [
        "--no-defaults",
        `--datadir=${data}`,
        `--socket=${socket}`,
        `--port=${port}`,
        "--bind-address=127.0.0.1",
        "--user=root",
        `--pid-file=${join(dir, "mariadb.pid")}`,
        `--transaction-isolation=${isolation}`,
        "--max-connections=500",
        "--innodb-buffer-pool-size=128M",
      ],
      logPath,
    );
    child = proc;
    await waitUntil(
      "mariadbd",
      proc,
      () => Promise.resolve(existsSync(socket) && sql("SELECT 1").trim() === "1"),
      readyTimeoutMs,
      () => tail(logPath),
    );
  };

  try {
    await start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const halt = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (proc !== null) await stopGroup(proc, 30_000);
  };

  return {
    port,
    isolation,
    dir,
    get pid() {
      return child?.pid ?? null;
    },
    sql,
    createDatabase(name, password) {
      sql(
        `CREATE DATABASE ${name}; CREATE USER '${name}'@'127.0.0.1' IDENTIFIED BY '${password}'; ` +
          `GRANT ALL ON ${name}.* TO '${name}'@'127.0.0.1';`,
      );
      return `mysql+pymysql://${name}:${password}@127.0.0.1:${port}/${name}?charset=utf8`;
    },
    async restart(pauseMs = 0) {
      await halt();
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      await start();
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => tail(logPath),
  };
}
