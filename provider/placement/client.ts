/**
 * A small OpenStack Placement client: microversion 1.39 on every request, typed errors
 * (errors.ts), a per-attempt timeout and bounded retries with exponential backoff and full jitter.
 *
 * Retried: answers 5xx, timeouts, refused, reset and cut connections, for idempotent requests only
 * (GET, PUT, DELETE, and `POST /allocations`, see `postAllocations`); and Placement's internal
 * write race (`placement.concurrent_update` with "Inventory and/or allocations changed while
 * attempting to allocate"), after which the transaction was rolled back and the same body is valid
 * again. A generation conflict on a generation the caller sent is never retried here: the caller
 * must re-read, so it surfaces at once as `kind: "generation-conflict"`.
 *
 * Connections (transport.ts): idempotent requests use kept-alive connections; one that the server
 * closed before the request reached it (uwsgi's `--http-socket` closes every connection after one
 * answer, without saying so) is resent at once on a new connection, outside the retry policy. Any
 * other request goes on a new connection of its own and is never sent twice: when that connection
 * fails, the error says Placement may have applied it.
 */
import { PlacementError, classify, errorOfAnswer, type PlacementErrorKind } from "./errors";
import { writeOverLeftovers } from "./leftovers";
import { ExchangeFailure, describeFailure, send, type HttpAnswer } from "./transport";
import type {
  AllocationCandidates,
  AllocationWrite,
  ConsumerAllocations,
  InventoryRecord,
  ProviderAllocations,
  ProviderRecord,
  Query,
} from "./wire";
import { queryString } from "./wire";
import {
  DEFAULT_RETRY,
  PLACEMENT_MICROVERSION,
  type PlacementClientOptions,
  type RetryPolicy,
  type TokenSource,
} from "./clientOptions";

export * from "./clientOptions";

export {
  fromInventoryRecord,
  toInventoryRecord,
  type AllocationCandidates,
  type AllocationWrite,
  type ConsumerAllocations,
  type InventoryRecord,
  type ProviderAllocations,
  type ProviderRecord,
  type Query,
} from "./wire";

interface RequestOptions {
  body?: unknown;
  /** Retry transient failures of this POST too. */
  idempotent?: boolean;
  /** Answer `null` instead of throwing on 404. */
  allow404?: boolean;
}

const INTERNAL_RACE = "Inventory and/or allocations changed while attempting to allocate";

export class PlacementClient {
  readonly endpoint: string;
  private readonly tokens: TokenSource;
  private readonly timeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly onRequest: ((method: string, path: string) => void) | undefined;
  private readonly onRetry: ((failure: PlacementError) => void) | undefined;
  private readonly onStaleConnection: ((method: string, path: string) => void) | undefined;
  private readonly random: () => number;

  constructor(options: PlacementClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, "");
    const auth = options.auth;
    this.tokens = typeof auth === "string" ? { token: () => Promise.resolve(auth) } : auth;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retry = { ...DEFAULT_RETRY, ...(options.retry ?? {}) };
    this.onRequest = options.onRequest;
    this.onRetry = options.onRetry;
    this.onStaleConnection = options.onStaleConnection;
    this.random = options.random ?? Math.random;
  }

  /**
   * One logical request with retries. Throws `PlacementError`; answers the parsed JSON body, or
   * `null` for an empty body (and for 404 when `allow404`).
   */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T | null> {
    const idempotent = method !== "POST" || options.idempotent === true;
    let reauthenticated = false;
    for (let attempt = 1; ; attempt++) {
      let failure: PlacementError;
      try {
        return await this.attempt<T>(method, path, options, attempt, idempotent);
      } catch (err) {
        if (!(err instanceof PlacementError)) throw err;
        failure = err;
      }
      if (
        failure.kind === "auth" &&
        failure.info.status === 401 &&
        !reauthenticated &&
        this.tokens.invalidate
      ) {
        this.tokens.invalidate();
        reauthenticated = true;
        attempt--;
        continue;
      }
      const transient =
        failure.kind === "server" || failure.kind === "timeout" || failure.kind === "unavailable";
      const race = failure.kind === "generation-conflict" && failure.info.detail.startsWith(INTERNAL_RACE);
      if (!((transient && idempotent) || race) || attempt >= this.retry.attempts) {
        if (
          attempt > 1 &&
          (failure.kind === "timeout" || failure.kind === "unavailable" || failure.kind === "server")
        ) {
          throw new PlacementError(
            failure.kind,
            failure.info,
            `${failure.message}; gave up after ${attempt} attempts (retry policy: ${this.retry.attempts} attempts, ` +
              `backoff ${this.retry.baseDelayMs}..${this.retry.maxDelayMs} ms, timeout ${this.timeoutMs} ms each)`,
          );
        }
        throw failure;
      }
      this.onRetry?.(failure);
      const cap = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
      await new Promise((resolve) => setTimeout(resolve, Math.floor(this.random() * cap)));
    }
  }

  private async attempt<T>(
    method: string,
    path: string,
    options: RequestOptions,
    attempt: number,
    idempotent: boolean,
  ): Promise<T | null> {
    this.onRequest?.(method, path);
    const base = { method, path, attempts: attempt, requestId: null };
    const token = await this.tokens.token();
    const headers: Record<string, string> = {
      "x-auth-token": token,
      "openstack-api-version": `placement ${PLACEMENT_MICROVERSION}`,
      accept: "application/json",
    };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const request = {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    };
    let answer: HttpAnswer;
    try {
      answer = await send(new URL(this.endpoint + path), request, {
        timeoutMs: this.timeoutMs,
        idempotent,
        onStale: () => this.onStaleConnection?.(method, path),
      });
    } catch (err) {
      if (!(err instanceof ExchangeFailure)) throw err;
      throw new PlacementError(err.stage === "timeout" ? "timeout" : "unavailable", {
        ...base,
        status: null,
        code: null,
        detail: describeFailure(err, this.endpoint, idempotent),
      });
    }
    const requestId = answer.header("openstack-request-id") ?? answer.header("x-openstack-request-id");
    if (answer.status === 404 && options.allow404 === true) return null;
    if (answer.status >= 400) {
      const { code, detail } = errorOfAnswer(answer.body);
      const kind: PlacementErrorKind = classify(answer.status, code, detail);
      throw new PlacementError(kind, { ...base, requestId, status: answer.status, code, detail });
    }
    if (answer.body === "") return null;
    return JSON.parse(answer.body) as T;
  }

  private async must<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const out = await this.request<T>(method, path, options);
    if (out === null) {
      throw new PlacementError("server", {
        method,
        path,
        status: null,
        code: null,
        detail: "empty answer where a body was expected",
        requestId: null,
        attempts: 1,
      });
    }
    return out;
  }

  // ---- resource providers ----

  async listProviders(query?: Query): Promise<ProviderRecord[]> {
    const out = await this.must<{ resource_providers: ProviderRecord[] }>(
      "GET",
      `/resource_providers${queryString(query)}`,
    );
    return out.resource_providers;
  }

  async getProvider(uuid: string): Promise<ProviderRecord | null> {
    return this.request<ProviderRecord>("GET", `/resource_providers/${uuid}`, { allow404: true });
  }

  /** Creates a provider with a chosen uuid (generation 0). A repeat of the same create answers `duplicate`. */
  async createProvider(uuid: string, name: string): Promise<ProviderRecord> {
    return this.must<ProviderRecord>("POST", "/resource_providers", { body: { uuid, name } });
  }

  async deleteProvider(uuid: string): Promise<void> {
    await this.request("DELETE", `/resource_providers/${uuid}`);
  }

  async getInventories(
    uuid: string,
  ): Promise<{ generation: number; inventories: Record<string, InventoryRecord> }> {
    const out = await this.must<{
      resource_provider_generation: number;
      inventories: Record<string, InventoryRecord>;
    }>("GET", `/resource_providers/${uuid}/inventories`);
    return { generation: out.resource_provider_generation, inventories: out.inventories };
  }

  /** Replaces every inventory of a provider; answers the new provider generation. */
  async putInventories(
    uuid: string,
    generation: number,
    inventories: Record<string, InventoryRecord>,
  ): Promise<number> {
    const out = await this.must<{ resource_provider_generation: number }>(
      "PUT",
      `/resource_providers/${uuid}/inventories`,
      {
        body: { resource_provider_generation: generation, inventories },
      },
    );
    return out.resource_provider_generation;
  }

  async getTraits(uuid: string): Promise<{ generation: number; traits: string[] }> {
    const out = await this.must<{ resource_provider_generation: number; traits: string[] }>(
      "GET",
      `/resource_providers/${uuid}/traits`,
    );
    return { generation: out.resource_provider_generation, traits: out.traits };
  }

  async putTraits(uuid: string, generation: number, traits: string[]): Promise<number> {
    const out = await this.must<{ resource_provider_generation: number }>(
      "PUT",
      `/resource_providers/${uuid}/traits`,
      {
        body: { resource_provider_generation: generation, traits },
      },
    );
    return out.resource_provider_generation;
  }

  async getAggregates(uuid: string): Promise<{ generation: number; aggregates: string[] }> {
    const out = await this.must<{ resource_provider_generation: number; aggregates: string[] }>(
      "GET",
      `/resource_providers/${uuid}/aggregates`,
    );
    return { generation: out.resource_provider_generation, aggregates: out.aggregates };
  }

  async putAggregates(uuid: string, generation: number, aggregates: string[]): Promise<number> {
    const out = await this.must<{ resource_provider_generation: number }>(
      "PUT",
      `/resource_providers/${uuid}/aggregates`,
      {
        body: { resource_provider_generation: generation, aggregates },
      },
    );
    return out.resource_provider_generation;
  }

  async getProviderAllocations(uuid: string): Promise<ProviderAllocations> {
    return this.must<ProviderAllocations>("GET", `/resource_providers/${uuid}/allocations`);
  }

  async getProviderUsages(uuid: string): Promise<{ generation: number; usages: Record<string, number> }> {
    const out = await this.must<{ resource_provider_generation: number; usages: Record<string, number> }>(
      "GET",
      `/resource_providers/${uuid}/usages`,
    );
    return { generation: out.resource_provider_generation, usages: out.usages };
  }

  // ---- resource classes and traits ----

  async listResourceClasses(): Promise<string[]> {
    const out = await this.must<{ resource_classes: { name: string }[] }>("GET", "/resource_classes");
    return out.resource_classes.map((rc) => rc.name);
  }

  /** Creates `CUSTOM_*` resource class `name` if missing (idempotent); see `createResourceClass` for the checked form. */
  async ensureResourceClass(name: string): Promise<void> {
    await this.request("PUT", `/resource_classes/${name}`);
  }

  /** Whether resource class `name` exists. */
  async hasResourceClass(name: string): Promise<boolean> {
    return (await this.request("GET", `/resource_classes/${name}`, { allow404: true })) !== null;
  }

  /** Whether trait `name` exists (`GET /traits/{name}` answers 204 with no body, or 404). */
  async hasTrait(name: string): Promise<boolean> {
    try {
      await this.request("GET", `/traits/${name}`);
      return true;
    } catch (err) {
      if (err instanceof PlacementError && err.kind === "not-found") return false;
      throw err;
    }
  }

  async listTraits(query?: Query): Promise<string[]> {
    const out = await this.must<{ traits: string[] }>("GET", `/traits${queryString(query)}`);
    return out.traits;
  }

  /** Creates `CUSTOM_*` trait `name` if missing (idempotent). */
  async ensureTrait(name: string): Promise<void> {
    await this.request("PUT", `/traits/${name}`);
  }

  // ---- allocations ----

  async getConsumerAllocations(consumer: string): Promise<ConsumerAllocations> {
    const out = await this.must<ConsumerAllocations>("GET", `/allocations/${consumer}`);
    return { ...out, consumer_generation: out.consumer_generation ?? null };
  }

  /** Replaces one consumer's allocations; `consumer_generation` guards against concurrent writers. */
  async putAllocations(consumer: string, write: AllocationWrite): Promise<void> {
    await this.request("PUT", `/allocations/${consumer}`, { body: write });
  }

  /**
   * Writes many consumers in one transaction: all succeed or none. An empty `allocations` object
   * deletes that consumer's allocations (and the consumer).
   *
   * Retried like a PUT: from microversion 1.28 Placement requires `consumer_generation` on every
   * consumer of the body (400 without it) and applies the body only when every one matches (`null`:
   * the consumer must not exist), and it sets absolute allocations. A replay of a body Placement
   * already applied is therefore refused whole as a `generation-conflict`, never applied twice; the
   * caller re-reads the generations (syncAllocations.ts does) as after any conflict. A conflict on a
   * consumer record an interrupted write left behind is resolved here (leftovers.ts).
   */
  async postAllocations(writes: Record<string, AllocationWrite>): Promise<void> {
    await writeOverLeftovers(this, writes, async (body) => {
      await this.request("POST", "/allocations", { body, idempotent: true });
    });
  }

  /** Deletes a consumer's allocations; answers false when it had none. */
  async deleteAllocations(consumer: string): Promise<boolean> {
    try {
      await this.request("DELETE", `/allocations/${consumer}`);
      return true;
    } catch (err) {
      if (err instanceof PlacementError && err.kind === "not-found") return false;
      throw err;
    }
  }

  async allocationCandidates(query: Query): Promise<AllocationCandidates> {
    return this.must<AllocationCandidates>("GET", `/allocation_candidates${queryString(query)}`);
  }

  /** Usage per consumer type of a project (optionally one user), `GET /usages`. */
  async usages(projectId: string, userId?: string): Promise<Record<string, Record<string, number>>> {
    const out = await this.must<{ usages: Record<string, Record<string, number>> }>(
      "GET",
      `/usages${queryString({ project_id: projectId, user_id: userId })}`,
    );
    return out.usages;
  }
}
