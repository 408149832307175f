import { describe, expect, it } from "vitest";
import { classUsage, roundAmount, summarizePool } from "../../core/capacity";

describe("capacity summaries", () => {
  it("rounds amounts to 1e-6 so float noise never reaches state", () => {
    expect(roundAmount(0.1 + 0.2)).toBe(0.3);
    expect(roundAmount(100 * 0.29)).toBe(29);
    expect(classUsage(8.1, 2.05)).toEqual({ total: 8.1, used: 2.05, free: 6.05 });
  });

  it("counts busy, standby and unhealthy devices and sums each class exactly before rounding", () => {
    const third = { total: 10 / 3, used: 0 };
    expect(
      summarizePool([
        {
          busy: true,
          drained: false,
          healthy: true,
          classes: { VCPU: third, CUSTOM_SERVICE_SLOT: { total: 8, used: 3 } },
        },
        { busy: false, drained: false, healthy: true, classes: { VCPU: third } },
        { busy: false, drained: false, healthy: false, classes: { VCPU: third } },
        { busy: true, drained: false, healthy: false, classes: { VCPU: { total: 10 / 3, used: 1 } } },
      ]),
    ).toEqual({
      busy: 2,
      standby: 1,
      unhealthy: 2,
      classes: {
        CUSTOM_SERVICE_SLOT: { total: 8, used: 3, free: 5 },
        VCPU: { total: 13.333333, used: 1, free: 12.333333 },
      },
    });
  });

  it("does not count an idle drained device as standby: it takes nothing new", () => {
    const slot = { CUSTOM_SERVICE_SLOT: { total: 4, used: 0 } };
    expect(
      summarizePool([
        { busy: false, drained: true, healthy: true, classes: slot },
        { busy: false, drained: false, healthy: true, classes: slot },
      ]),
    ).toEqual({
      busy: 0,
      standby: 1,
      unhealthy: 0,
      classes: { CUSTOM_SERVICE_SLOT: { total: 8, used: 0, free: 8 } },
    });
  });

  it("gives an empty pool zero counts and no classes", () => {
    expect(summarizePool([])).toEqual({ busy: 0, standby: 0, unhealthy: 0, classes: {} });
  });
});
