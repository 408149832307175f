/**
 * A TCP proxy on 127.0.0.1 between a client and Placement that cuts chosen answers short: the
 * connection carrying the n-th answered request matching a rule is closed (both sides) after
 * `afterBytes` bytes of its answer. Everything else passes byte for byte. Placement has handled a
 * request whose answer is cut: the cut tests what a client does when it cannot know the outcome.
 *
 * Requests are told apart by the request line at the start of a chunk the client sends, enough for
 * one request per connection as uwsgi's http-socket serves them; a request line split across
 * chunks, or pipelined requests, are not recognised.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface CutRule {
  /** Which requests' answers to cut, by request line (`POST /allocations`, without the version). */
  match: (requestLine: string) => boolean;
  /** Bytes of the answer passed on before the cut (status line and headers included). */
  afterBytes: number;
  /** Which answered matching request to cut first (1-based). @default 1 */
  nth?: number;
  /** How many answered matching requests in a row, from the `nth`, to cut. @default 1 */
  times?: number;
}

export interface CuttingProxy {
  readonly url: string;
  /** Request lines whose answers were cut, in order, with the bytes passed (`POST /allocations after 40 bytes`). */
  readonly cuts: string[];
  /** Request lines seen, in order. */
  readonly requests: string[];
  /** Replaces the rules (none: pass everything); each counts its matching requests from here. */
  cut(...rules: CutRule[]): void;
  close(): Promise<void>;
}

const REQUEST_LINE = /^([A-Z]+) (\S+) HTTP\/1\.[01]\r\n/;

export async function startCuttingProxy(target: { host: string; port: number }): Promise<CuttingProxy> {
  let rules: { rule: CutRule; matched: number }[] = [];
  const cuts: string[] = [];
  const requests: string[] = [];
  const sockets = new Set<Socket>();

  /** Bytes of the answer to pass before cutting, for the request that begins with `line`, or null. */
  const decide = (line: string): number | null => {
    let cutAt: number | null = null;
    for (const r of rules) {
      if (!r.rule.match(line)) continue;
      r.matched++;
      const first = r.rule.nth ?? 1;
      if (cutAt === null && r.matched >= first && r.matched < first + (r.rule.times ?? 1))
        cutAt = r.rule.afterBytes;
    }
    return cutAt;
  };

  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    let cutAt: number | null = null;
    let current = "";
    let answering = false;
    let passed = 0;
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (chunk: Buffer) => {
      const m = REQUEST_LINE.exec(chunk.subarray(0, 2048).toString("latin1"));
      if (m !== null) {
        current = `${m[1]} ${m[2]}`;
        requests.push(current);
        answering = false;
        passed = 0;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      // Rules count answered requests only: one sent on a connection already closed never is.
      if (!answering) {
        answering = true;
        cutAt = decide(current);
      }
      if (cutAt === null) return void client.write(chunk);
      const room = cutAt - passed;
      if (room > 0) client.write(chunk.subarray(0, room));
      passed += Math.min(room, chunk.length);
      if (passed >= cutAt) {
        cuts.push(`${current} after ${cutAt} bytes`);
        cutAt = null;
        // Let the bytes passed reach the client, then close both sides.
        client.end(() => closeBoth());
        upstream.destroy();
      }
    });
    client.on("end", () => upstream.end());
    upstream.on("end", () => client.end());
    for (const s of [client, upstream]) {
      s.on("error", closeBoth);
      s.on("close", () => {
        sockets.delete(s);
        closeBoth();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cuts,
    requests,
    cut(...next) {
      rules = next.map((rule) => ({ rule, matched: 0 }));
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
