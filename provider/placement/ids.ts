/**
 * Stable Placement identities for a fleet's objects. Every id is a UUID v5 of a fixed namespace and
 * a JSON array naming the kind, the fleet and the object, so ids never depend on order or on state,
 * any stack can recompute them, and two kinds never collide (`["provider","f","x"]` differs from
 * `["aggregate","f","x"]`).
 */
import { createHash } from "node:crypto";

/**
 * RFC 4122 (§4.3) name-based UUID, version 5: SHA-1 of the namespace's 16 bytes followed by the
 * name's UTF-8 bytes; the first 16 bytes of the digest, with the version nibble set to 5 and the
 * variant bits to `10`. Byte-identical to `uuid`'s `v5(name, namespace)`; `test/provider/placement/
 * ids.test.ts` pins the RFC example and ids already written to Placement, which must never change.
 */
export function uuidv5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  if (ns.length !== 16) throw new Error(`\`namespace\` must be a UUID, got ${JSON.stringify(namespace)}`);
  const bytes = createHash("sha1").update(ns).update(name, "utf8").digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** RFC 4122 appendix C: the namespace for URLs. */
export const URL_NAMESPACE = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";

/** RFC 4122 appendix C: the namespace for DNS names (the RFC's own v5 example uses it). */
export const DNS_NAMESPACE = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";

/**
 * The namespace of every servicevm UUID: `uuidv5("https://github.com/servicevm/placement", URL_NAMESPACE)`.
 * Fixed forever: changing it would orphan every provider and consumer already written.
 */
export const SERVICEVM_NAMESPACE = "bcc51fe8-28f4-5916-9f33-2a83ede3b123";

/** The `consumer_type` of every consumer servicevm writes (Placement 1.38+ requires one). */
export const CONSUMER_TYPE = "SERVICEVM";

/**
 * The `consumer_type` of a claim written but not yet granted (overcommit.ts): its claimer has not
 * yet seen the provider within capacity after writing it. Placement's pattern for consumer types is
 * `^[A-Z0-9_]+$`, at most 255 characters (schemas/allocation.py, microversion 1.38+).
 */
export const PENDING_CONSUMER_TYPE = "SERVICEVM_PENDING";

function id(kind: string, fleet: string, name: string): string {
  return uuidv5(JSON.stringify([kind, fleet, name]), SERVICEVM_NAMESPACE);
}

/** UUID of the resource provider of device `device` of fleet `fleet`. */
export function providerUuid(fleet: string, device: string): string {
  return id("provider", fleet, device);
}

/** Name of that resource provider: `<fleet>-<device>` (Placement names are unique cloud-wide). */
export function providerName(fleet: string, device: string): string {
  return `${fleet}-${device}`;
}

/**
 * The device a provider belongs to, when it is one of `fleet`'s: its name is `<fleet>-<device>` and
 * its uuid is exactly `providerUuid(fleet, device)`. Ownership is recomputed, never stored.
 */
export function ownedDevice(fleet: string, provider: { uuid: string; name: string }): string | null {
  const prefix = `${fleet}-`;
  if (!provider.name.startsWith(prefix)) return null;
  const device = provider.name.slice(prefix.length);
  return providerUuid(fleet, device) === provider.uuid ? device : null;
}

/**
 * UUID of fleet `fleet`'s owner provider: the one resource provider that records which Ledger
 * instance owns the fleet (owner.ts). The hashed name `["owner", fleet]` has two elements where
 * every device provider's has three (`["provider", fleet, device]`), so no device of any fleet can
 * get this uuid; and `ownedDevice` recomputes a device's uuid from its name, so it never takes the
 * owner provider for a device. Fixed forever, like every id here.
 */
export function ownerProviderUuid(fleet: string): string {
  return uuidv5(JSON.stringify(["owner", fleet]), SERVICEVM_NAMESPACE);
}

/**
 * Name of that provider: `servicevm:owner:<fleet>`. A device provider's name is `<fleet>-<device>`
 * and both are servicevm names (`core/names.ts`: lower-case letters, digits and `-` only), so it never
 * holds a `:` and no fleet's device can be named like this; one name per fleet, so two fleets' owner
 * providers never share a name (Placement names are unique cloud-wide). At most 79 characters
 * (Placement allows 200).
 */
export function ownerProviderName(fleet: string): string {
  return `servicevm:owner:${fleet}`;
}

/**
 * The aggregate naming Ledger instance `token` as fleet `fleet`'s owner: the owner provider's only
 * aggregate. A v5 uuid of the token, so any token (a random uuid in practice) gives a valid aggregate,
 * and the kind `owner-token` keeps it apart from pool and zone aggregates (never a `member_of` match).
 */
export function ownerAggregate(fleet: string, token: string): string {
  return id("owner-token", fleet, token);
}

/** UUID of the aggregate holding every device of pool `pool` of fleet `fleet` (what claimers `member_of`). */
export function poolAggregate(fleet: string, pool: string): string {
  return id("pool", fleet, pool);
}

/** UUID of the aggregate holding every device of fleet `fleet` in zone `zone`. */
export function zoneAggregate(fleet: string, zone: string): string {
  return id("zone", fleet, zone);
}

/** UUID of the consumer of allocation `allocation` written by fleet `fleet`. */
export function consumerUuid(fleet: string, allocation: string): string {
  return id("consumer", fleet, allocation);
}

/** Keystone-style id (32 hex digits) of a tenant: the consumer's `project_id`, the same in every fleet. */
export function projectId(tenant: string): string {
  return uuidv5(JSON.stringify(["tenant", tenant]), SERVICEVM_NAMESPACE).replace(/-/g, "");
}

/**
 * Keystone-style id of a fleet: the consumer's `user_id`. It marks which fleet wrote a consumer, so a
 * sync can tell its own consumers from foreign ones (other fleets, Nova) on the same providers.
 */
export function fleetUserId(fleet: string): string {
  return uuidv5(JSON.stringify(["fleet", fleet]), SERVICEVM_NAMESPACE).replace(/-/g, "");
}

/**
 * Keystone-style `user_id` of the consumers fleet `fleet` claims from pools other fleets own. Distinct
 * from `fleetUserId` so a fleet's own per-tenant usage (`GET /usages?user_id=`) counts only what its
 * sync wrote.
 */
export function claimUserId(fleet: string): string {
  return uuidv5(JSON.stringify(["claims", fleet]), SERVICEVM_NAMESPACE).replace(/-/g, "");
}
