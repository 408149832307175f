/**
 * What a sync tells its caller: the report, the progress events, and `SyncError` naming every change
 * not made. `SyncJournal` is the executor's record of planned, done and failed actions that
 * `SyncError` is built from.
 */
import { PlacementError, isTransient } from "./errors";
import { describeAction, type SyncAction } from "./syncPlan";
import type { SyncState } from "./syncState";

export interface SyncProgress {
  phase: "read" | "classes" | "providers" | "allocations" | "delete";
  done: number;
  total: number;
}

export interface SyncReport {
  fleet: string;
  providers: { created: string[]; updated: string[]; deleted: string[]; unchanged: number };
  consumers: { written: string[]; deleted: string[]; unchanged: number };
  /** Consumers of other fleets or services on this fleet's providers, by device. */
  foreign: Record<string, string[]>;
  state: SyncState;
}

/** The report while a sync runs (its `state` is computed last). */
export type PartialSyncReport = Omit<SyncReport, "state">;

/** One change the sync meant to make, as `SyncError` names it. */
export interface SyncStep {
  /** e.g. `create provider \`fw-3\``, `write allocation \`tenant-a-fw\` on \`fw-0\``: `describeAction`. */
  what: string;
  error?: string;
}

export class SyncError extends Error {
  constructor(
    message: string,
    /** Changes that failed, with their error. */
    readonly failed: SyncStep[],
    /** Changes not attempted because the sync stopped. */
    readonly notDone: SyncStep[],
    /** What was done before it stopped. */
    readonly partial: PartialSyncReport,
  ) {
    super(message);
    this.name = "SyncError";
  }
}

export function emptyReport(fleet: string): PartialSyncReport {
  return {
    fleet,
    providers: { created: [], updated: [], deleted: [], unchanged: 0 },
    consumers: { written: [], deleted: [], unchanged: 0 },
    foreign: {},
  };
}

function list(names: string[], max = 20): string {
  const shown = names.slice(0, max).join(", ");
  return names.length > max ? `${shown} (and ${names.length - max} more)` : shown;
}

/**
 * The executor's journal: every action is `plan`ned (pending) before it runs, and leaves pending
 * when it is done or has failed. A transient failure (Placement gone, after the client's retries)
 * makes the journal `stopped`: the executor then starts nothing new, and what is still pending is
 * what `SyncError` names as not done, in the order it was planned.
 */
export class SyncJournal {
  private readonly pending = new Map<string, { step: SyncStep; action: SyncAction }>();
  private readonly failures: { step: SyncStep; action: SyncAction }[] = [];
  private fatal: PlacementError | null = null;

  constructor(
    private readonly fleet: string,
    private readonly report: PartialSyncReport,
  ) {}

  stopped(): boolean {
    return this.fatal !== null;
  }

  /** Marks the sync as stopped by `err` (the first such error is the one reported). */
  stop(err: PlacementError): void {
    this.fatal ??= err;
  }

  plan(action: SyncAction): void {
    const what = describeAction(action);
    this.pending.set(what, { step: { what }, action });
  }

  done(action: SyncAction): void {
    this.pending.delete(describeAction(action));
  }

  failed(action: SyncAction, error: string): void {
    const what = describeAction(action);
    this.pending.delete(what);
    this.failures.push({ step: { what, error }, action });
  }

  /** Runs one planned action; a transient failure stops the sync. False when it did not succeed. */
  async run(action: SyncAction, fn: () => Promise<void>): Promise<boolean> {
    if (this.stopped()) return false;
    try {
      await fn();
      this.done(action);
      return true;
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      this.failed(action, err.message);
      if (err instanceof PlacementError && isTransient(err)) this.stop(err);
      return false;
    }
  }

  /** Failed actions of one kind (to retry them), taken out of the failures. */
  takeFailed<K extends SyncAction["kind"]>(kind: K): Extract<SyncAction, { kind: K }>[] {
    const taken = this.failures.filter((f) => f.action.kind === kind);
    for (const f of taken) this.failures.splice(this.failures.indexOf(f), 1);
    return taken.map((f) => f.action as Extract<SyncAction, { kind: K }>);
  }

  /** How many actions of one kind failed or are still pending. */
  notMade(kind: SyncAction["kind"]): number {
    return (
      this.failures.filter((f) => f.action.kind === kind).length +
      [...this.pending.values()].filter((p) => p.action.kind === kind).length
    );
  }

  /** Throws `SyncError` when anything failed or the sync stopped; `stage` names where. */
  check(stage: string): void {
    if (this.failures.length > 0 || this.fatal !== null) throw this.error(stage);
  }

  private error(stage: string): SyncError {
    const failed = this.failures.map((f) => f.step);
    const notDone = [...this.pending.values()].map((p) => p.step);
    const cause =
      this.fatal !== null
        ? `Placement stopped answering (${this.fatal.message})`
        : `${failed.length} change(s) failed`;
    const lines = [
      `sync of fleet \`${this.fleet}\` into Placement did not finish (${stage}): ${cause}.`,
      failed.length > 0
        ? `Failed: ${list(
            failed.map((f) => `${f.what}: ${f.error ?? ""}`),
            10,
          )}.`
        : "",
      notDone.length > 0 ? `Not done: ${list(notDone.map((s) => s.what))}.` : "",
      "Fix the cause and run the sync again: it re-reads Placement and does only what is missing.",
    ];
    return new SyncError(lines.filter((l) => l !== "").join("\n"), failed, notDone, this.report);
  }
}
