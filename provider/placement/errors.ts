/**
 * Typed Placement errors. Placement answers errors as
 * `{"errors": [{"status", "title", "detail", "code", "request_id"}]}`; `code` is
 * `placement.concurrent_update`, `placement.inventory.inuse`, ... or `placement.undefined_code`, in
 * which case the detail text is what tells a capacity refusal from a constraint violation
 * (placement/exception.py `InvalidAllocationCapacityExceeded` / `...ConstraintsViolated`).
 */

/** What went wrong, as a caller branches on it. */
export type PlacementErrorKind =
  | "capacity-exceeded"
  | "constraint-violation"
  | "generation-conflict"
  | "inventory-in-use"
  | "provider-in-use"
  | "duplicate"
  | "not-found"
  | "bad-request"
  | "auth"
  | "server"
  | "timeout"
  | "unavailable";

export interface PlacementErrorInfo {
  method: string;
  path: string;
  /** HTTP status, or `null` when no answer came (timeout, connection refused). */
  status: number | null;
  /** Placement's `errors[0].code`, e.g. `placement.concurrent_update`. */
  code: string | null;
  /** Placement's detail text without the HTTP boilerplate. */
  detail: string;
  requestId: string | null;
  /** Attempts made, retries included. */
  attempts: number;
}

const KIND_TEXT: Record<PlacementErrorKind, string> = {
  "capacity-exceeded": "capacity exceeded",
  "constraint-violation": "inventory constraint violated (min_unit, max_unit or step_size)",
  "generation-conflict": "generation conflict (someone else changed it first; re-read and retry)",
  "inventory-in-use": "inventory in use (allocations still consume it)",
  "provider-in-use": "resource provider in use (allocations still consume it)",
  duplicate: "already exists",
  "not-found": "not found",
  "bad-request": "bad request",
  auth: "not authorized (check the token or the clouds.yaml credentials)",
  server: "Placement failed",
  timeout: "timed out",
  unavailable: "Placement unreachable",
};

/** What a 401 and a 403 mean to whoever runs servicevm. */
const AUTH_TEXT: Record<number, string> = {
  401: "not authenticated (the token expired, was revoked, or is not from this cloud's Keystone)",
  403: "forbidden by Placement's policy (its default policy wants the `admin` role on the token's project)",
};

export class PlacementError extends Error {
  readonly kind: PlacementErrorKind;
  readonly info: PlacementErrorInfo;

  constructor(kind: PlacementErrorKind, info: PlacementErrorInfo, message?: string) {
    super(message ?? PlacementError.describe(kind, info));
    this.name = "PlacementError";
    this.kind = kind;
    this.info = info;
  }

  /** `` `PUT /x`: capacity exceeded: <detail> (409 placement.undefined_code, request req-1, 1 attempt) `` */
  static describe(kind: PlacementErrorKind, info: PlacementErrorInfo): string {
    const where = [
      info.status === null ? null : String(info.status),
      info.code,
      info.requestId === null ? null : `request ${info.requestId}`,
      `${info.attempts} attempt${info.attempts === 1 ? "" : "s"}`,
    ].filter((x) => x !== null);
    const detail = info.detail === "" ? "" : `: ${info.detail}`;
    const text =
      kind === "auth" && info.status !== null ? (AUTH_TEXT[info.status] ?? KIND_TEXT.auth) : KIND_TEXT[kind];
    return `\`${info.method} ${info.path}\`: ${text}${detail} (${where.join(", ")})`;
  }
}

/** True for errors worth another attempt of an idempotent request: 5xx, timeouts, refused, reset or cut connections. */
export function isTransient(err: unknown): boolean {
  return (
    err instanceof PlacementError &&
    (err.kind === "server" || err.kind === "timeout" || err.kind === "unavailable")
  );
}

/**
 * A conflict on a consumer record at generation 0 that the write called absent (`null`): what a
 * record left behind by an interrupted write answers (leftovers.ts). Told by Placement's text
 * (handlers/util.py `ensure_consumer`), as capacity refusals are.
 */
export function isLeftoverConflict(err: unknown): boolean {
  return (
    err instanceof PlacementError &&
    err.kind === "generation-conflict" &&
    err.info.detail.includes("consumer generation conflict - expected 0 but got None")
  );
}

/**
 * Strips Placement's webob boilerplate ("409 Conflict\n\nThere was a conflict ...\n\n ") from a
 * detail, and SQLAlchemy's from a database error's (the statement, its parameters and the
 * "Background on this error" link), keeping the driver's own message.
 */
export function cleanDetail(detail: string): string {
  const parts = detail.split(/\n\n/).map((p) => p.trim());
  return (parts[parts.length - 1] ?? "")
    .replace(/\s*\[SQL: [\s\S]*?\](?=\s|$)/g, "")
    .replace(/\s*\[parameters: [\s\S]*?\](?=\s|$)/g, "")
    .replace(/\s*\(Background on this error at: [^)]*\)/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** Placement's `errors[0].code` and cleaned detail from an error answer's body (its first 300 characters when not JSON). */
export function errorOfAnswer(body: string): { code: string | null; detail: string } {
  try {
    const parsed = JSON.parse(body) as { errors?: { code?: string; detail?: string; title?: string }[] };
    const first = parsed.errors?.[0];
    if (first !== undefined)
      return { code: first.code ?? null, detail: cleanDetail(first.detail ?? first.title ?? "") };
  } catch {
    // not JSON: keep the text
  }
  return { code: null, detail: body.trim().slice(0, 300) };
}

/** The kind of a Placement error answer. */
export function classify(status: number, code: string | null, detail: string): PlacementErrorKind {
  if (code === "placement.concurrent_update") return "generation-conflict";
  if (code === "placement.inventory.inuse") return "inventory-in-use";
  if (code === "placement.resource_provider.inuse") return "provider-in-use";
  if (code === "placement.duplicate_name") return "duplicate";
  if (code === "placement.resource_provider.not_found") return "not-found";
  if (status === 409 && detail.includes("would exceed the capacity")) return "capacity-exceeded";
  if (status === 409 && detail.includes("would violate inventory constraints")) return "constraint-violation";
  if (status === 409 && /already exists|duplicate/i.test(detail)) return "duplicate";
  if (status === 409 && /generation/i.test(detail)) return "generation-conflict";
  if (status === 404) return "not-found";
  if (status === 401 || status === 403) return "auth";
  if (status >= 500) return "server";
  return "bad-request";
}
