import { describe, expect, it } from "vitest";
import {
  PlacementError,
  classify,
  cleanDetail,
  errorOfAnswer,
  isLeftoverConflict,
  isTransient,
} from "../../../provider/placement/errors";

describe("classify", () => {
  it.each([
    { status: 409, code: "placement.concurrent_update", detail: "", kind: "generation-conflict" },
    { status: 409, code: "placement.inventory.inuse", detail: "", kind: "inventory-in-use" },
    { status: 409, code: "placement.resource_provider.inuse", detail: "", kind: "provider-in-use" },
    { status: 409, code: "placement.duplicate_name", detail: "", kind: "duplicate" },
    { status: 404, code: "placement.resource_provider.not_found", detail: "", kind: "not-found" },
    {
      status: 409,
      code: "placement.undefined_code",
      detail:
        "Unable to allocate inventory: Unable to create allocation for 'CUSTOM_SLOT' on resource provider 'x'. The requested amount would exceed the capacity.",
      kind: "capacity-exceeded",
    },
    {
      status: 409,
      code: "placement.undefined_code",
      detail:
        "Unable to allocate inventory: Unable to create allocation for 'CUSTOM_SLOT' on resource provider 'x'. The requested amount would violate inventory constraints.",
      kind: "constraint-violation",
    },
    { status: 409, code: null, detail: "Trait CUSTOM_X already exists", kind: "duplicate" },
    { status: 409, code: null, detail: "resource provider generation conflict", kind: "generation-conflict" },
    { status: 409, code: null, detail: "something else", kind: "bad-request" },
    { status: 404, code: null, detail: "", kind: "not-found" },
    { status: 401, code: null, detail: "", kind: "auth" },
    { status: 403, code: null, detail: "", kind: "auth" },
    { status: 500, code: null, detail: "", kind: "server" },
    { status: 503, code: null, detail: "", kind: "server" },
    { status: 400, code: "placement.undefined_code", detail: "JSON does not validate", kind: "bad-request" },
  ])("$status $code `$detail` is $kind", ({ status, code, detail, kind }) => {
    expect(classify(status, code, detail)).toBe(kind);
  });
});

describe("cleanDetail", () => {
  it("keeps the last paragraph of webob's boilerplate, whitespace collapsed", () => {
    expect(
      cleanDetail(
        "409 Conflict\n\nThere was a conflict when trying to complete your request.\n\n Inventory  in use.  ",
      ),
    ).toBe("Inventory in use.");
  });

  it("keeps a database error's own message, without SQLAlchemy's statement and link", () => {
    // What Placement under uwsgi answered while MariaDB restarted (test/production/faults.test.ts).
    expect(
      cleanDetail(
        "500 Internal Server Error\n\n" +
          `(pymysql.err.OperationalError) (2003, "Can't connect to MySQL server on '127.0.0.1' ([Errno 111] Connection refused)") ` +
          "[SQL: SELECT 1] (Background on this error at: https://sqlalche.me/e/14/e3q8)",
      ),
    ).toBe(
      `(pymysql.err.OperationalError) (2003, "Can't connect to MySQL server on '127.0.0.1' ([Errno 111] Connection refused)")`,
    );
  });
});

describe("errorOfAnswer", () => {
  it.each([
    {
      what: "Placement's error: its code and the last paragraph of its detail",
      body: JSON.stringify({
        errors: [
          {
            status: 409,
            title: "Conflict",
            detail:
              "There was a conflict when trying to complete your request.\n\n consumer generation conflict - expected 0 but got None  ",
            code: "placement.concurrent_update",
          },
        ],
      }),
      out: {
        code: "placement.concurrent_update",
        detail: "consumer generation conflict - expected 0 but got None",
      },
    },
    {
      what: "an error without detail: its title",
      body: JSON.stringify({ errors: [{ status: 400, title: "Bad Request" }] }),
      out: { code: null, detail: "Bad Request" },
    },
    {
      what: "not JSON: the text, trimmed",
      body: "  <html>502 Bad Gateway</html>\n",
      out: { code: null, detail: "<html>502 Bad Gateway</html>" },
    },
    {
      what: "long text: its first 300 characters",
      body: "x".repeat(400),
      out: { code: null, detail: "x".repeat(300) },
    },
  ])("reads $what", ({ body, out }) => {
    expect(errorOfAnswer(body)).toEqual(out);
  });
});

describe("isLeftoverConflict", () => {
  const conflict = (detail: string): PlacementError =>
    new PlacementError("generation-conflict", {
      method: "POST",
      path: "/allocations",
      status: 409,
      code: "placement.concurrent_update",
      detail,
      requestId: null,
      attempts: 1,
    });
  it.each([
    { tail: "expected 0 but got None", leftover: true },
    { tail: "expected 3 but got None", leftover: false },
    { tail: "expected null but got 0", leftover: false },
    { tail: "expected 0 but got 1", leftover: false },
  ])("is $leftover for a consumer generation conflict `$tail`", ({ tail, leftover }) => {
    expect(isLeftoverConflict(conflict(`consumer generation conflict - ${tail}`))).toBe(leftover);
  });
});

describe("PlacementError", () => {
  const info = {
    method: "PUT",
    path: "/x",
    status: 409,
    code: "placement.undefined_code",
    detail: "no room",
    requestId: "req-1",
    attempts: 1,
  };

  it("names the request, the kind, the detail and where it came from", () => {
    expect(new PlacementError("capacity-exceeded", info).message).toBe(
      "`PUT /x`: capacity exceeded: no room (409, placement.undefined_code, request req-1, 1 attempt)",
    );
  });

  it.each([
    {
      status: 401,
      text: "not authenticated (the token expired, was revoked, or is not from this cloud's Keystone)",
    },
    {
      status: 403,
      text: "forbidden by Placement's policy (its default policy wants the `admin` role on the token's project)",
    },
  ])("says what a $status means", ({ status, text }) => {
    const denied = {
      ...info,
      method: "GET",
      path: "/resource_providers",
      status,
      code: null,
      detail: "denied",
    };
    expect(new PlacementError("auth", denied).message).toBe(
      `\`GET /resource_providers\`: ${text}: denied (${status}, request req-1, 1 attempt)`,
    );
  });

  it.each([
    { kind: "server", transient: true },
    { kind: "timeout", transient: true },
    { kind: "unavailable", transient: true },
    { kind: "capacity-exceeded", transient: false },
    { kind: "generation-conflict", transient: false },
  ] as const)("`$kind` is transient: $transient", ({ kind, transient }) => {
    expect(isTransient(new PlacementError(kind, info))).toBe(transient);
  });
});
