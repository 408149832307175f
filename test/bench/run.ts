/**
 * `npm run bench`: runs each benchmark module in its own Node process (so peak RSS is per module)
 * and prints medians. `node dist/test/bench/run.js core` runs one module in this process.
 */
import { spawnSync } from "node:child_process";

const MODULES = [
  "core",
  "spec",
  "pulumi",
  "placement",
  "production",
  "hosts",
  "explain",
  "rebalance",
] as const;

async function runOne(name: string): Promise<void> {
  const mod = require(`./${name}`) as { main: () => void | Promise<void> };
  await mod.main();
}

function runAll(): number {
  let failed = 0;
  for (const name of MODULES) {
    const child = spawnSync(process.execPath, ["--expose-gc", __filename, name], { stdio: "inherit" });
    if (child.status !== 0) {
      failed++;
      process.stderr.write(`bench ${name}: exited with ${child.status ?? child.signal}\n`);
    }
  }
  return failed === 0 ? 0 : 1;
}

const only = process.argv[2];
(only === undefined ? Promise.resolve(runAll()) : runOne(only).then(() => 0)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
