/**
 * Keystone tokens that expire while servicevm works: what Placement answers for an expired token,
 * what a user sees for an expired static token, and syncs that outlive their token, renewed before
 * expiry (the default) and after Placement's 401 (the fallback).
 *
 * Keystone issues 12-second tokens here. Placement's keystonemiddleware then re-authenticates its
 * own service user for nearly every validation (keystoneauth renews tokens that expire within
 * 120 s), which makes it meet Keystone's uwsgi right after a response, on a connection uwsgi is
 * about to close: Placement answers 503 "The Keystone service is temporarily unavailable". So the shape serves
 * Keystone with `Connection: close` on every answer (`closeConnections` in uwsgi.ts).
 */
import { describe, expect, it } from "vitest";
import {
  AuthConfigError,
  connectPlacement,
  KeystoneSession,
  loadCloudConfig,
  renewBeforeMs,
  type TokenEvent,
} from "../../provider/placement/auth";
import { PlacementClient } from "../../provider/placement/client";
import { syncFleet } from "../../provider/placement/sync";
import { firewallFleet, planOk } from "../provider/placement/helpers";
import { SERVICEVM_PASSWORD, SERVICEVM_PROJECT, SERVICEVM_USER } from "./shape";
import { useProductionPlacement } from "./use";

const LIFETIME_S = 12;
const shape = useProductionPlacement({ keystone: { tokenExpiration: LIFETIME_S } });

function session(options: ConstructorParameters<typeof KeystoneSession>[1] = {}): KeystoneSession {
  const s = shape();
  return new KeystoneSession(loadCloudConfig({ env: s.osEnv(), cwd: s.dir, home: s.dir }), options);
}

/** `GET /resource_providers` with `token`, as Placement answers it. */
async function listWith(
  token: string,
): Promise<{ status: number; authenticate: string | null; body: string }> {
  const res = await fetch(`${shape().url}/resource_providers`, {
    headers: { "x-auth-token": token, "openstack-api-version": "placement 1.39", connection: "close" },
  });
  return { status: res.status, authenticate: res.headers.get("www-authenticate"), body: await res.text() };
}

/**
 * A sync that takes longer than a token lifetime, whatever the machine's load: a 16-device fleet,
 * timed, sizes a fleet for 1.6 lifetimes; should that sync end sooner, a fleet sized by it follows
 * (3 rounds at most). Answers the last round: when it ran, how many devices it created and of how many.
 */
async function longSync(client: PlacementClient, fleet: string, concurrency: number) {
  const sync = async (name: string, size: number) => {
    const spec = firewallFleet(size);
    const start = Date.now();
    const report = await syncFleet(client, { fleet: name, spec, result: planOk(spec), concurrency });
    return { start, end: Date.now(), created: report.providers.created.length, size };
  };
  const lifetime = LIFETIME_S * 1000;
  const sized = (r: { start: number; end: number; size: number }) =>
    Math.min(800, Math.ceil((1.6 * lifetime * r.size) / (r.end - r.start)));
  let last = await sync(`${fleet}-probe`, 16);
  for (let round = 1; round <= 3; round++) {
    last = await sync(`${fleet}-${round}`, sized(last));
    if (last.end - last.start > lifetime) break;
  }
  return last;
}

let expired = "";

describe("a Keystone token that expires", () => {
  it("is served by Placement until its expires_at, then refused with 401 (keystonemiddleware's cache checks the expiry)", async () => {
    const s = shape();
    const issued = await s.keystone!.admin.passwordToken(
      SERVICEVM_USER,
      SERVICEVM_PASSWORD,
      SERVICEVM_PROJECT,
    );
    const { token } = issued;
    const stated = (issued.body as { token: { issued_at: string; expires_at: string } }).token;
    const expiresAt = Date.parse(stated.expires_at);
    expect(expiresAt - Date.parse(stated.issued_at)).toBe(LIFETIME_S * 1000);
    // Every 500 ms until refused; bounded by the lifetime and 20 s more.
    let served = 0;
    let refusal: { sent: number; answered: number; answer: Awaited<ReturnType<typeof listWith>> } | null =
      null;
    for (let i = 0; i < (LIFETIME_S + 20) * 2 && refusal === null; i++) {
      const sent = Date.now();
      const answer = await listWith(token);
      if (answer.status !== 200) refusal = { sent, answered: Date.now(), answer };
      else {
        // Placement validated it after `sent`, so before expires_at.
        expect(sent).toBeLessThan(expiresAt);
        served++;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    expect(served).toBeGreaterThan(0);
    expect(refusal?.answer).toEqual({
      status: 401,
      authenticate: `Keystone uri="${s.keystone?.authUrl}"`,
      body: '{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}',
    });
    expect(refusal!.answered).toBeGreaterThanOrEqual(expiresAt);
    expect(refusal!.sent).toBeLessThan(expiresAt + 5000);
    expired = token;
  });

  it("given as a static token: one line saying it cannot be renewed and what to do instead", async () => {
    const client = await connectPlacement({ endpoint: shape().url, token: expired, tokenFrom: "`OS_TOKEN`" });
    const err = await client.listProviders().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toEqual(
      new AuthConfigError(
        `Placement at ${shape().url} refused the token from \`OS_TOKEN\` (401): it expired, was revoked, or is not from this cloud's Keystone; ` +
          "issue a new one (`openstack token issue`), or give clouds.yaml or `OS_*` credentials instead, " +
          "with which servicevm logs in and renews its token itself",
      ),
    );
    expect(expired).not.toBe("");
    expect((err as Error).message).not.toContain(expired);
  });
});

describe("a sync that outlives its token", () => {
  it("renews the token shortly before it expires, so Placement never refuses the current one", async () => {
    const tokens: TokenEvent[] = [];
    const s = session({ onToken: (e) => tokens.push(e) });
    const client = new PlacementClient({ endpoint: await s.endpoint(), auth: s });
    const { start, end, created, size } = await longSync(client, "renewed", 8);
    const during = tokens.filter((t) => t.at > start && t.at < end);
    console.log(
      `renewed: ${size} devices in ${end - start} ms, ${tokens.length} tokens (${during.length} during), ${s.kept} refusals of replaced tokens`,
    );
    expect(end - start).toBeGreaterThan(LIFETIME_S * 1000);
    expect(created).toBe(size);
    expect([tokens[0].reason, tokens[0].lifetimeMs, s.refusals]).toEqual(["first", LIFETIME_S * 1000, 0]);
    expect(tokens.slice(1).map((t) => t.reason)).toEqual(tokens.slice(1).map(() => "expiring"));
    expect(during.length).toBeGreaterThanOrEqual(1);
    // Each token was asked for within the renewal window of the one before, never after it expired.
    const window = renewBeforeMs(LIFETIME_S * 1000);
    for (let i = 1; i < tokens.length; i++) {
      expect(tokens[i].at).toBeGreaterThanOrEqual(tokens[i - 1].expiresAt - window);
      expect(tokens[i].at).toBeLessThan(tokens[i - 1].expiresAt);
    }
  });

  it("with renewal before expiry disabled (a clock that stands still), a sync on an expired token re-authenticates after the 401 and completes", async () => {
    const tokens: TokenEvent[] = [];
    const frozen = Date.now();
    const s = session({ now: () => frozen, onToken: (e) => tokens.push(e) });
    const client = new PlacementClient({ endpoint: await s.endpoint(), auth: s });
    // Real time passes until the token is past its expiry (a second more for Keystone's rounding).
    await new Promise((resolve) => setTimeout(resolve, tokens[0].lifetimeMs + 1000));
    const spec = firewallFleet(16);
    const report = await syncFleet(client, { fleet: "refused", spec, result: planOk(spec) });
    expect(report.providers.created).toHaveLength(16);
    expect(tokens.map((t) => t.reason)).toEqual(["first", "refused"]);
    expect([s.issued, s.refusals]).toEqual([2, 1]);
  });
});
