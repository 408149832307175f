import { describe, expect, it } from "vitest";
import type { DeviceModel } from "../../../core/model";
import {
  dockerNetworkErrors,
  renderContainer,
  renderRemoteImage,
  seconds,
} from "../../../components/render/docker";

const device: DeviceModel = {
  name: "lb-0",
  pool: "lb",
  index: 0,
  zone: null,
  driver: "docker",
  inventory: {},
  traits: [],
  tenancy: { mode: "dedicated" },
};

describe("docker renderer", () => {
  it("pulls the template's image once and keeps it locally", () => {
    expect(renderRemoteImage({ image: "haproxy:2.9" })).toEqual({ name: "haproxy:2.9", keepLocally: true });
  });

  it("writes durations as Go duration strings", () => {
    expect(seconds(10)).toBe("10s");
  });

  it("renders a container with limits, restart policy, healthcheck, labels, env, ports and the pool's networks", () => {
    expect(
      renderContainer({
        fleet: "lab",
        device,
        image: "sha256:abc",
        template: {
          image: "haproxy:2.9",
          cpus: 1.5,
          memoryMb: 512,
          networks: ["lab-svc", "lab-mirror"],
          env: { B: "2", A: "1" },
          command: ["-i", "eth1"],
          ports: [{ internal: 8404 }, { internal: 53, external: 5353, protocol: "udp" }],
          healthcheck: { test: ["CMD", "true"], intervalSeconds: 10, timeoutSeconds: 3, retries: 3 },
        },
      }),
    ).toEqual({
      name: "lab-lb-0",
      image: "sha256:abc",
      restart: "unless-stopped",
      labels: [
        { label: "servicevm.device", value: "lb-0" },
        { label: "servicevm.fleet", value: "lab" },
        { label: "servicevm.pool", value: "lb" },
      ],
      networksAdvanced: [{ name: "lab-svc" }, { name: "lab-mirror" }],
      cpus: "1.5",
      memory: 512,
      envs: ["A=1", "B=2"],
      command: ["-i", "eth1"],
      ports: [
        { internal: 8404, protocol: "tcp" },
        { internal: 53, external: 5353, protocol: "udp" },
      ],
      healthcheck: { tests: ["CMD", "true"], interval: "10s", timeout: "3s", retries: 3 },
    });
  });

  it("renders a minimal container", () => {
    expect(renderContainer({ fleet: "lab", device, image: "img", template: { image: "x" } })).toEqual({
      name: "lab-lb-0",
      image: "img",
      restart: "unless-stopped",
      labels: [
        { label: "servicevm.device", value: "lb-0" },
        { label: "servicevm.fleet", value: "lab" },
        { label: "servicevm.pool", value: "lb" },
      ],
      networksAdvanced: [],
    });
  });

  it("accepts allocation networks that are among the pool's", () => {
    expect(dockerNetworkErrors("red-lb", ["lab-svc"], "lb", "haproxy", ["lab-svc"])).toEqual([]);
  });

  it("explains a network that is not among the pool's, and the two fixes", () => {
    expect(dockerNetworkErrors("red-lb", ["lab-svc", "red-net"], "lb", "haproxy", ["lab-svc"])).toEqual([
      "allocation `red-lb` needs network `red-net`, which is not among pool `lb`'s networks [lab-svc]; add it to `templates.haproxy.docker.networks` or restrict `allocations.red-lb.pools`",
    ]);
  });
});
