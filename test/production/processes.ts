/**
 * Processes the production-shaped Placement is made of, started and stopped by their ids: each in
 * its own process group (`detached`), so a uwsgi master and its workers stop together with
 * `kill(-pgid)`, and every one still running is killed when the test process exits.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from "node:fs";

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) signalGroup(child, "SIGKILL");
});

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Starts `command` in its own process group with stdout and stderr appended to `logPath`. */
export function launch(
  command: string,
  args: string[],
  logPath: string,
  env: Record<string, string> = {},
): ChildProcess {
  const fd = openSync(logPath, "a");
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", fd, fd],
    detached: true,
  });
  closeSync(fd);
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (child.pid !== undefined) watch(child.pid);
  return child;
}

/**
 * A watchdog per started group, so servers stop by themselves when the test process dies without
 * running its exit handler (a killed vitest worker): it polls once a second while both this process
 * and the group live, and kills the group when this process is gone. It ends with the group.
 */
function watch(pgid: number): void {
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 -${pgid} 2>/dev/null; do sleep 1; done; kill -0 ${process.pid} 2>/dev/null || kill -KILL -${pgid} 2>/dev/null; exit 0`;
  spawn("/bin/sh", ["-c", script], { stdio: "ignore", detached: true }).unref();
}

/**
 * Stops a started process group: SIGTERM, then SIGKILL after `graceMs`. Resolves when the leader
 * has exited.
 */
export async function stopGroup(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    signalGroup(child, "SIGKILL");
    return;
  }
  signalGroup(child, "SIGTERM");
  const timer = setTimeout(() => signalGroup(child, "SIGKILL"), graceMs);
  await exited(child);
  clearTimeout(timer);
  signalGroup(child, "SIGKILL"); // workers a master left behind
}

/** The last `chars` characters of a log file, for failure messages. */
export function tail(logPath: string, chars = 3000): string {
  return existsSync(logPath) ? readFileSync(logPath, "utf8").slice(-chars) : "(no log)";
}

/** Ids of the live direct children of process `pid` (a uwsgi master's workers), from /proc. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'. A killed
    // worker the master has not reaped yet is a zombie (`Z`): not a worker any more.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[1]) === pid && fields[0] !== "Z" && fields[0] !== "X") out.push(Number(entry));
  }
  return out.sort((a, b) => a - b);
}

/** CPU seconds (user + system) a process and the children it waited for have used, from /proc. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[11..14] are utime, stime, cutime, cstime (stat fields 14..17), in clock ticks.
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return ticks / clockTicks();
}

let ticksPerSecond: number | null = null;
function clockTicks(): number {
  if (ticksPerSecond === null) {
    const out = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
    ticksPerSecond = Number(out.stdout.trim()) || 100;
  }
  return ticksPerSecond;
}

/** Polls `ready` every 100 ms until it answers true; throws `failure()` after `timeoutMs` or when `child` exits. */
export async function waitUntil(
  what: string,
  child: ChildProcess,
  ready: () => Promise<boolean>,
  timeoutMs: number,
  failure: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${what} exited during start (code ${child.exitCode}); log:\n${failure()}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) {
      await stopGroup(child, 1000);
      throw new Error(`${what} was not ready within ${timeoutMs} ms; log:\n${failure()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs a command to its end; throws with its output when it fails. */
export function run(command: string, args: string[], env: Record<string, string> = {}): string {
  const out = spawnSync(command, args, {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  if (out.status !== 0)
    throw new Error(
      `\`${command} ${args.join(" ")}\` failed (${out.status ?? out.signal ?? out.error?.message}):\n${(out.stdout + out.stderr).slice(-3000)}`,
    );
  return out.stdout;
}
