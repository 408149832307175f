/** Small helpers shared by the benchmarks: medians of repeated runs, peak RSS, aligned output. */
import { performance } from "node:perf_hooks";

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs `fn` `runs` times (after `warmup` unmeasured runs) and returns the times in ms and the last result. */
export function timeRuns<T>(
  runs: number,
  fn: () => T,
  warmup = 1,
): { ms: number[]; median: number; last: T } {
  let last!: T;
  for (let i = 0; i < warmup; i++) last = fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = performance.now();
    last = fn();
    ms.push(performance.now() - t0);
  }
  return { ms, median: median(ms), last };
}

export async function timeRunsAsync<T>(
  runs: number,
  fn: () => Promise<T>,
  warmup = 1,
): Promise<{ ms: number[]; median: number; last: T }> {
  let last!: T;
  for (let i = 0; i < warmup; i++) last = await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const t0 = performance.now();
    last = await fn();
    ms.push(performance.now() - t0);
  }
  return { ms, median: median(ms), last };
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

export function line(label: string, value: string, note = ""): void {
  process.stdout.write(`  ${label.padEnd(58)} ${value.padStart(14)}${note === "" ? "" : `  ${note}`}\n`);
}

export function heading(title: string): void {
  process.stdout.write(`\n${title}\n${"-".repeat(title.length)}\n`);
}

/** A positive number from the environment variable `name`, or `fallback` when it is unset. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined ? fallback : Number(raw);
  if (!(n > 0)) throw new Error(`\`${name}\` must be a positive number, not \`${raw}\``);
  return n;
}
