import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NAME_PATTERN } from "../../../core/names";
import {
  DNS_NAMESPACE,
  SERVICEVM_NAMESPACE,
  URL_NAMESPACE,
  claimUserId,
  consumerUuid,
  fleetUserId,
  ownedDevice,
  ownerAggregate,
  ownerProviderName,
  ownerProviderUuid,
  poolAggregate,
  projectId,
  providerName,
  providerUuid,
  uuidv5,
  zoneAggregate,
} from "../../../provider/placement/ids";

describe("uuidv5", () => {
  it("gives the RFC 4122 example for www.example.com in the DNS namespace", () => {
    expect(uuidv5("www.example.com", DNS_NAMESPACE)).toBe("2ed6657d-e927-568b-95e1-2665a8aea6a2");
  });

  it("derives the servicevm namespace from its URL", () => {
    expect(uuidv5("https://github.com/servicevm/placement", URL_NAMESPACE)).toBe(SERVICEVM_NAMESPACE);
  });

  it("rejects a namespace that is not a UUID", () => {
    expect(() => uuidv5("x", "not-a-uuid")).toThrow('`namespace` must be a UUID, got "not-a-uuid"');
  });
});

// Ids computed with the `uuid` package (v11) before ids.ts moved to node:crypto: they are in
// Placement already and must never change.
describe("ids already written to Placement", () => {
  it.each([
    {
      fleet: "edge",
      name: "fw-0",
      provider: "15b4e19a-c87f-59a7-ad21-1b96217ebad5",
      pool: "e87e5ebd-4c49-513f-ae30-a508e12d4230",
      zone: "e3791f0b-11ea-5107-9241-819e45bb13b1",
      consumer: "5e600d65-3f0e-5f7f-9093-60d7cbec9b40",
    },
    {
      fleet: "edge",
      name: "fw-10",
      provider: "12293da5-56e0-53bd-8bc9-4e04d990c498",
      pool: "7fdc7535-abde-5f4e-81f2-ed1b449a251c",
      zone: "9520096f-995d-5adf-ae7a-ff765f3071c6",
      consumer: "be943794-ce82-5e29-bbc0-de2d3a86a15c",
    },
    {
      fleet: "infra",
      name: "lb-1",
      provider: "a338be0b-3833-5288-80d5-1dc8415929f9",
      pool: "31b29381-870b-5f5c-abd1-0d97be005d30",
      zone: "66b7993a-8445-5707-a9bb-6265211653d9",
      consumer: "79233f7e-b1ed-5793-a689-f372254662f3",
    },
    {
      fleet: "flotte",
      name: "gerät-ü",
      provider: "49072b3d-9558-508c-a77b-87febce8ee2b",
      pool: "3b572574-8ad8-56a4-b632-3925b1139bf9",
      zone: "02f23ed2-74dc-5e7b-b3ce-917ae210560c",
      consumer: "d70f72d9-8737-50dc-9574-1f0bfbf92e55",
    },
  ])("fleet `$fleet`, name `$name`", ({ fleet, name, provider, pool, zone, consumer }) => {
    expect({
      provider: providerUuid(fleet, name),
      pool: poolAggregate(fleet, name),
      zone: zoneAggregate(fleet, name),
      consumer: consumerUuid(fleet, name),
    }).toEqual({ provider, pool, zone, consumer });
  });

  it.each([
    { tenant: "tenant-a", project: "9d49b39c517e57ed93277acde1e128e5" },
    { tenant: "acme", project: "918b43c671f455a686cd222340cfe164" },
  ])("project id of tenant `$tenant`", ({ tenant, project }) => {
    expect(projectId(tenant)).toBe(project);
  });

  it.each([
    { fleet: "edge", user: "541da9902d7355d4b596b5715c2d7c60", claims: "280f593ea22e5975aac0e77c961f4dc1" },
    { fleet: "infra", user: "6df277b8d84b5d07b1c9342070620686", claims: "8434a0df62f8560992614c817fba29b2" },
  ])("user ids of fleet `$fleet`", ({ fleet, user, claims }) => {
    expect([fleetUserId(fleet), claimUserId(fleet)]).toEqual([user, claims]);
  });
});

describe("ownedDevice", () => {
  it("recognises a provider by recomputing its uuid from its name", () => {
    expect(ownedDevice("edge", { name: "edge-fw-10", uuid: providerUuid("edge", "fw-10") })).toBe("fw-10");
  });

  it.each([
    { what: "another fleet's prefix", name: "core-fw-10", uuid: providerUuid("edge", "fw-10") },
    { what: "a uuid that is not ours", name: "edge-fw-10", uuid: providerUuid("edge", "fw-1") },
  ])("rejects $what", ({ name, uuid }) => {
    expect(ownedDevice("edge", { name, uuid })).toBeNull();
  });
});

// Ids of the owner record (owner.ts), written to Placement from this version on: they must never
// change. Cross-checked with Python's `uuid.uuid5` on the same JSON names.
describe("the owner provider's identity", () => {
  it.each([
    {
      fleet: "edge",
      uuid: "e3bd3fd4-b060-52c5-a666-694d66762127",
      name: "servicevm:owner:edge",
      aggregate: "7c6cffb6-388b-557f-9257-c681ae8cbac5",
    },
    {
      fleet: "infra",
      uuid: "3fdf877e-7e07-5885-bd60-31352b952515",
      name: "servicevm:owner:infra",
      aggregate: "175eba0b-5a3c-57aa-9f7e-cc7541eea4ed",
    },
  ])("fleet `$fleet`", ({ fleet, uuid, name, aggregate }) => {
    expect({
      uuid: ownerProviderUuid(fleet),
      name: ownerProviderName(fleet),
      aggregate: ownerAggregate(fleet, "00000000-0000-4000-8000-000000000000"),
    }).toEqual({ uuid, name, aggregate });
  });

  const name = fc.stringMatching(new RegExp(NAME_PATTERN));

  it("never has the uuid or the name of any fleet's device provider, and is never taken for a device", () => {
    fc.assert(
      fc.property(name, name, name, (fleet, other, device) => {
        const owner = { uuid: ownerProviderUuid(fleet), name: ownerProviderName(fleet) };
        expect(owner.uuid).not.toBe(providerUuid(other, device));
        expect(owner.name).not.toBe(providerName(other, device));
        expect(ownedDevice(other, owner)).toBeNull();
        expect(ownedDevice(fleet, owner)).toBeNull();
      }),
    );
  });

  it("differs between two fleets, in uuid, name and aggregate", () => {
    fc.assert(
      fc.property(name, name, fc.uuid(), (a, b, token) => {
        fc.pre(a !== b);
        expect(ownerProviderUuid(a)).not.toBe(ownerProviderUuid(b));
        expect(ownerProviderName(a)).not.toBe(ownerProviderName(b));
        expect(ownerAggregate(a, token)).not.toBe(ownerAggregate(b, token));
      }),
    );
  });
});
