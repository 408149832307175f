/**
 * Authentication as OpenStack users expect it: a named cloud from `clouds.yaml` or the `OS_*`
 * variables (cloudConfig.ts), Keystone v3 password or application-credential auth, and the
 * Placement endpoint taken from the token's service catalog (catalog.ts) unless one is given.
 *
 * A `KeystoneSession` renews its token before it expires (a minute before, or a quarter of the
 * lifetime before when tokens live less than four minutes), and again when Placement refuses it
 * (401), so a sync that outlives a token never stops for it.
 */
import { PlacementClient, type PlacementClientOptions, type TokenSource } from "./client";
import { chooseEndpoint, type CatalogEntry } from "./catalog";
import {
  AuthConfigError,
  loadCloudConfig,
  refusalAdvice,
  tokenRequestBody as tokenRequestBodyOf,
  settingName,
  settingPlace,
  type CloudConfig,
  type CloudLookup,
} from "./cloudConfig";

export {
  AuthConfigError,
  cloudsYamlPaths,
  loadCloudConfig,
  tokenRequestBody,
  type CloudConfig,
  type CloudLookup,
  type CloudOrigin,
  type Interface,
} from "./cloudConfig";

/** Why a token was asked for: the first, the last close to expiry, or the last refused by Placement (401). */
export type TokenReason = "first" | "expiring" | "refused";

/** One token Keystone issued; times are the local clock's (see `KeystoneSession`). */
export interface TokenEvent {
  reason: TokenReason;
  /** When the token was asked for. */
  at: number;
  /** When it expires, on the local clock. */
  expiresAt: number;
  /** `expires_at - issued_at` as Keystone states them. */
  lifetimeMs: number;
}

export interface KeystoneSessionOptions {
  /** Per token request. @default 30000 */
  timeoutMs?: number;
  /** Token requests in all for one token, the first included, when Keystone is unreachable or fails (5xx). @default 3 */
  attempts?: number;
  /** The local clock. @default Date.now */
  now?: () => number;
  /** Called for every token Keystone issues (diagnostics, tests). */
  onToken?: (event: TokenEvent) => void;
}

/**
 * How long before its expiry a token is renewed: a minute, or a quarter of the lifetime when that is
 * shorter (tokens that live less than a minute would otherwise be renewed for every request).
 */
export function renewBeforeMs(lifetimeMs: number): number {
  return Math.min(60_000, lifetimeMs / 4);
}

interface Held {
  token: string;
  expiresAt: number;
  lifetimeMs: number;
  catalog: CatalogEntry[];
}

/** A Keystone answer worth another token request: none at all, or a 5xx. */
class KeystoneUnavailable extends Error {}

/**
 * Keystone v3 token source with the catalog.
 *
 * The expiry is kept on the local clock: the token's lifetime (`expires_at - issued_at`, both
 * Keystone's clock) counted from when it was asked for, so a skew between this host and Keystone
 * neither renews every token at once nor keeps an expired one. A token is renewed `renewBeforeMs`
 * before that, and after Placement refused it (`invalidate`, on a 401). Concurrent callers share
 * one token request (or one `recheck`).
 */
export class KeystoneSession implements TokenSource {
  private current: Held | null = null;
  private pending: Promise<Held> | null = null;
  private next: TokenReason = "first";
  /** Tokens issued so far (for tests and diagnostics). */
  issued = 0;
  /** Tokens Placement refused so far (dropped after `invalidate`). */
  refusals = 0;
  /** Refusals of a token already replaced (`invalidate` without a token, the current one still valid). */
  kept = 0;
  private suspect = false;

  constructor(
    readonly config: CloudConfig,
    private readonly options: KeystoneSessionOptions = {},
  ) {}

  private get tokensUrl(): string {
    const base = this.config.authUrl.replace(/\/+$/, "");
    return `${/\/v3$/.test(base) ? base : `${base}/v3`}/auth/tokens`;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Never shows the password or secret, even should Keystone echo them. */
  private redact(text: string): string {
    let out = text;
    for (const secret of [this.config.password, this.config.applicationCredentialSecret])
      if (secret !== undefined && secret.length > 0) out = out.split(secret).join("***");
    return out;
  }

  private async post(url: string): Promise<{ status: number; token: string | null; text: string }> {
    let response: Response;
    try {
      // A new connection per token request: one every token lifetime, and a POST must not meet a
      // kept-alive connection the server already closed.
      response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", connection: "close" },
        body: JSON.stringify(tokenRequestBodyOf(this.config)),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      const cause = (err as Error & { cause?: { code?: unknown; message?: unknown } }).cause;
      const why =
        typeof cause?.code === "string"
          ? cause.code
          : err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")
            ? `no answer within ${this.options.timeoutMs ?? 30_000} ms`
            : typeof cause?.message === "string"
              ? cause.message
              : String(err);
      throw new KeystoneUnavailable(why);
    }
    const text = await response.text();
    if (response.status >= 500) throw new KeystoneUnavailable(`${response.status} ${this.detail(text)}`);
    return { status: response.status, token: response.headers.get("x-subject-token"), text };
  }

  private detail(text: string): string {
    let detail = text;
    try {
      const parsed = JSON.parse(text) as { error?: { message?: string } };
      detail = parsed.error?.message ?? text;
    } catch {
      // keep the raw text
    }
    return this.redact(detail.replace(/\s+/g, " ").trim().slice(0, 300).replace(/\.$/, ""));
  }

  private async authenticate(reason: TokenReason): Promise<Held> {
    const url = this.tokensUrl;
    const { origin, source } = this.config;
    const attempts = this.options.attempts ?? 3;
    const at = this.now();
    let answer: { status: number; token: string | null; text: string } | null = null;
    for (let attempt = 1; answer === null; attempt++) {
      try {
        answer = await this.post(url);
      } catch (err) {
        if (!(err instanceof KeystoneUnavailable)) throw err;
        if (attempt >= attempts)
          throw new AuthConfigError(
            `Keystone at ${url} did not issue a token for ${source} (${err.message}, ${attempt} attempts); ` +
              `check ${settingName(origin, "auth_url")}${settingPlace(origin)} and that Keystone is up`,
          );
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (attempt - 1)));
      }
    }
    if (answer.status !== 201 && answer.status !== 200) {
      const { who, fix } = refusalAdvice(this.config);
      throw new AuthConfigError(
        `Keystone at ${this.config.authUrl} refused ${who} from ${source}: ${answer.status} ${this.detail(answer.text)}; ${fix}`,
      );
    }
    if (answer.token === null)
      throw new AuthConfigError(
        `Keystone at ${url} answered without an \`X-Subject-Token\` header (${source})`,
      );
    const body = JSON.parse(answer.text) as {
      token?: { expires_at?: string; issued_at?: string; catalog?: CatalogEntry[] };
    };
    const expires = Date.parse(body.token?.expires_at ?? "");
    const issued = Date.parse(body.token?.issued_at ?? "");
    const lifetimeMs = Number.isNaN(expires)
      ? Number.POSITIVE_INFINITY
      : Number.isNaN(issued)
        ? expires - at
        : expires - issued;
    const held: Held = {
      token: answer.token,
      expiresAt: at + lifetimeMs,
      lifetimeMs,
      catalog: body.token?.catalog ?? [],
    };
    this.issued++;
    this.options.onToken?.({ reason, at, expiresAt: held.expiresAt, lifetimeMs });
    return held;
  }

  private async session(): Promise<Held> {
    const held = this.current;
    const fresh = held !== null && this.now() < held.expiresAt - renewBeforeMs(held.lifetimeMs);
    if (fresh && !this.suspect) return held;
    if (this.pending === null) {
      const next = fresh ? this.recheck(held) : this.authenticate(held === null ? this.next : "expiring");
      this.pending = next.finally(() => {
        this.pending = null;
      });
    }
    this.current = await this.pending;
    return this.current;
  }

  /**
   * After a 401 for a token not named: keeps the current token when Keystone still validates it
   * with more than the renewal margin left on Keystone's own clock (its `Date` header), so the
   * refused one was an older token, carried by a request that started before the renewal and
   * reached Placement after that token expired; else asks for a new one.
   */
  private async recheck(held: Held): Promise<Held> {
    this.suspect = false;
    let valid = false;
    try {
      const res = await fetch(this.tokensUrl, {
        headers: {
          "x-auth-token": held.token,
          "x-subject-token": held.token,
          accept: "application/json",
          connection: "close",
        },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
      const text = await res.text();
      if (res.status === 200) {
        const body = JSON.parse(text) as { token?: { expires_at?: string } };
        const left = Date.parse(body.token?.expires_at ?? "") - Date.parse(res.headers.get("date") ?? "");
        valid = left > renewBeforeMs(held.lifetimeMs);
      }
    } catch {
      // Unknown: take a new token (which says what is wrong with Keystone, if anything).
    }
    if (valid) {
      this.kept++;
      return held;
    }
    this.refusals++;
    return this.authenticate("refused");
  }

  async token(): Promise<string> {
    return (await this.session()).token;
  }

  /**
   * Placement refused a token (401). Given that token, the current one is dropped if it is that
   * one; not given (a client that does not say), Keystone is asked whether the current one is still
   * valid before the next request (`recheck`), so a refusal of a token already replaced does not
   * throw the new one away.
   */
  invalidate(refused?: string): void {
    const held = this.current;
    if (held === null) return;
    if (refused === undefined) {
      this.suspect = true;
      return;
    }
    if (refused !== held.token) return;
    this.current = null;
    this.next = "refused";
    this.refusals++;
  }

  /** The catalog URL of service type `type` for the configured interface and region (catalog.ts). */
  async endpoint(type = "placement"): Promise<string> {
    return chooseEndpoint((await this.session()).catalog, type, this.config);
  }
}

/**
 * A token given as it is (noauth2's `admin`, or one from `openstack token issue`): it cannot be
 * renewed, so once Placement refused it (401), the next request says so and what to do instead.
 */
export class StaticToken implements TokenSource {
  private refused = false;

  constructor(
    private readonly value: string,
    private readonly endpoint: string,
    private readonly from: string,
  ) {}

  token(): Promise<string> {
    if (!this.refused) return Promise.resolve(this.value);
    return Promise.reject(
      new AuthConfigError(
        `Placement at ${this.endpoint} refused the token from ${this.from} (401): it expired, was revoked, or is not ` +
          "from this cloud's Keystone; issue a new one (`openstack token issue`), or give clouds.yaml or `OS_*` " +
          "credentials instead, with which servicevm logs in and renews its token itself",
      ),
    );
  }

  invalidate(): void {
    this.refused = true;
  }
}

export interface ConnectOptions extends CloudLookup, Omit<PlacementClientOptions, "endpoint" | "auth"> {
  /** Placement URL; default: from the Keystone catalog. */
  endpoint?: string;
  /** A static token (noauth2: `admin`); skips Keystone. Needs `endpoint`. */
  token?: string;
  /** What messages call where `token` came from. @default "the `token` option" */
  tokenFrom?: string;
  /** Called for every token Keystone issues (see `KeystoneSession`). */
  onToken?: (event: TokenEvent) => void;
}

/** A client from explicit settings, or from clouds.yaml / `OS_*` through Keystone. */
export async function connectPlacement(options: ConnectOptions): Promise<PlacementClient> {
  const { endpoint, token, tokenFrom, onToken, cloud, env, cwd, home, ...rest } = options;
  if (token !== undefined) {
    if (endpoint === undefined)
      throw new AuthConfigError("a static `token` needs an explicit Placement `endpoint`");
    return new PlacementClient({
      ...rest,
      endpoint,
      auth: new StaticToken(token, endpoint.replace(/\/+$/, ""), tokenFrom ?? "the `token` option"),
    });
  }
  const session = new KeystoneSession(loadCloudConfig({ cloud, env, cwd, home }), {
    timeoutMs: rest.timeoutMs,
    onToken,
  });
  return new PlacementClient({
    ...rest,
    endpoint: endpoint ?? (await session.endpoint("placement")),
    auth: session,
  });
}
