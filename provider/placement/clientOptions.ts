/** The Placement client's settings (client.ts): microversion, tokens, retries and accounting hooks. */
import type { PlacementError } from "./errors";

/** The microversion every request asks for. */
export const PLACEMENT_MICROVERSION = "1.39";

/** Where a token comes from: a static string (noauth2: `admin`) or Keystone (auth.ts). */
export interface TokenSource {
  token(): Promise<string>;
  /** Forget a token Placement refused (401), so the next `token()` authenticates again. */
  invalidate?(): void;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. @default 4 */
  attempts: number;
  /** Backoff before retry n (0-based) is `random() * min(maxDelayMs, baseDelayMs * 2^n)`. @default 100 */
  baseDelayMs: number;
  /** @default 2000 */
  maxDelayMs: number;
}

export interface PlacementClientOptions {
  /** Placement root URL, e.g. `http://127.0.0.1:8778` or `https://cloud:8780/placement`. */
  endpoint: string;
  /** A token string, or a source of tokens. */
  auth: string | TokenSource;
  /** Per attempt. @default 30000 */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Called before every attempt (for request accounting in tests and benchmarks). */
  onRequest?: (method: string, path: string) => void;
  /** Called when a failed attempt is retried, with the failure (for accounting in tests and benchmarks). */
  onRetry?: (failure: PlacementError) => void;
  /**
   * Called when a request is resent on a new connection because the server had closed the
   * kept-alive one first (not an attempt: `onRequest` is not called again).
   */
  onStaleConnection?: (method: string, path: string) => void;
  /** Injected for tests. @default Math.random */
  random?: () => number;
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({
  attempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 2000,
});
