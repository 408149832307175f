/**
 * GitHub's own Markdown renderer, `cmark-gfm` (Debian package `cmark-gfm`; `.ci/run` installs it),
 * and a reader for the HTML tables it writes. Tests that need it fail, never skip, without it.
 * It proves what GitHub's parser makes of a comment; GitHub's HTML sanitizer and CSS are not run.
 */
import { execFileSync } from "node:child_process";

/** The comment as GitHub renders it (tables on, raw HTML such as `<details>` kept). */
export function cmark(markdown: string): string {
  try {
    return execFileSync("cmark-gfm", ["--extension", "table", "--unsafe"], {
      input: markdown,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error(
        "cmark-gfm (GitHub's Markdown renderer) is not installed: run `apt-get install -y cmark-gfm` (`.ci/run` does it)",
      );
    }
    throw e;
  }
}

export interface HtmlTable {
  /** Header cells, as text. */
  head: string[];
  /** Body rows, each cell as text. */
  rows: string[][];
  /** Body rows, each cell as the HTML cmark-gfm wrote. */
  html: string[][];
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" };

/** The text of an HTML fragment: tags dropped, entities decoded. */
export function htmlText(html: string): string {
  return html.replace(/<[^>]*>/g, "").replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ENTITIES[e]);
}

function cells(row: string): string[] {
  return [...row.matchAll(/<t[hd](?: [^>]*)?>([\s\S]*?)<\/t[hd]>/g)].map((m) => m[1]);
}

/** Every table of the HTML, in order. */
export function tables(html: string): HtmlTable[] {
  return [...html.matchAll(/<table>([\s\S]*?)<\/table>/g)].map((t) => {
    const head = /<thead>([\s\S]*?)<\/thead>/.exec(t[1])?.[1] ?? "";
    const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(t[1])?.[1] ?? "";
    const rows = [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) => cells(r[1]));
    return { head: cells(head).map(htmlText), rows: rows.map((r) => r.map(htmlText)), html: rows };
  });
}

/** The HTML escaping cmark-gfm applies to text. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
