import { describe, expect, it } from "vitest";
import { KeystoneSession, loadCloudConfig } from "../../provider/placement/auth";
import { PlacementClient } from "../../provider/placement/client";
import { useProductionPlacement } from "./use";

describe("the production-shaped Placement", () => {
  const shape = useProductionPlacement({ isolation: "READ-COMMITTED", keystone: true });

  it("runs Placement under uwsgi with 4 workers on MariaDB with the isolation asked for", () => {
    const s = shape();
    expect(s.placement.workers()).toHaveLength(4);
    expect(s.db.sql("SELECT @@global.tx_isolation").trim()).toBe("READ-COMMITTED");
    expect(s.db.sql("SELECT COUNT(*) > 0 FROM placement.resource_classes").trim()).toBe("1");
  });

  it("refuses a request without a token, and serves one with a Keystone token", async () => {
    const s = shape();
    const anonymous = await fetch(`${s.url}/resource_providers`, {
      headers: { "openstack-api-version": "placement 1.39", connection: "close" },
    });
    await anonymous.text();
    expect(anonymous.status).toBe(401);
    const env = s.osEnv();
    const config = loadCloudConfig({ env, cwd: s.dir, home: s.dir });
    const session = new KeystoneSession(config);
    const client = new PlacementClient({ endpoint: await session.endpoint(), auth: session });
    expect(await client.listProviders()).toEqual([]);
  });
});
