/**
 * Text that fits a terminal: word wrapping, names shortened in the middle, and tables that shrink
 * to a width. Widths count UTF-16 code units, which is one column for the ASCII names the spec
 * allows and for the few symbols the reports use (`—`, `…`, `▓`, `░`); wide characters in a tenant
 * name can make a line longer on screen than counted.
 */

/**
 * `s` with control characters made visible (`\n`, `\t`, `\u001b`...): a name must not end a table
 * row or send escape sequences to the terminal.
 */
export function visible(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, (c) =>
    c === "\n"
      ? "\\n"
      : c === "\r"
        ? "\\r"
        : c === "\t"
          ? "\\t"
          : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** `s` in at most `width` characters, with `…` in the middle when it is longer (both ends stay readable). */
export function shorten(s: string, width: number): string {
  if (s.length <= width) return s;
  if (width <= 1) return "…".slice(0, width);
  const keep = width - 1;
  const head = Math.ceil(keep / 2);
  return `${s.slice(0, head)}…${s.slice(s.length - (keep - head))}`;
}

/**
 * `s` wrapped at spaces into lines of at most `width` characters (`first` for the first line); a
 * word longer than a line is cut into pieces, so nothing is dropped. Always at least one line.
 */
export function wrap(s: string, width: number, first = width): string[] {
  const lines: string[] = [];
  const room = (): number => Math.max(1, lines.length === 0 ? first : width);
  let line = "";
  for (const word of s.split(" ")) {
    if (line !== "" && line.length + 1 + word.length <= room()) {
      line += ` ${word}`;
      continue;
    }
    if (line !== "") lines.push(line);
    let rest = word;
    while (rest.length > room()) {
      const cut = room();
      lines.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    line = rest;
  }
  lines.push(line);
  return lines;
}

/** A paragraph in `width` columns: the first line after `first`, the others after `indent`. */
export function paragraph(text: string, width: number, first: string, indent: string): string[] {
  return wrap(text, width - indent.length, width - first.length).map(
    (l, i) => (i === 0 ? first : indent) + l,
  );
}

/**
 * How a column gives way when a table is wider than the terminal: a `name` is shortened in the
 * middle, `text` wraps onto continuation lines, `fixed` keeps its width.
 */
export type ColumnKind = "name" | "text" | "fixed";

export interface Column {
  head: string;
  kind: ColumnKind;
}

/** The narrowest a shrinking column gets: its heading, and at least 12 (a name) or 24 (text) characters. */
function minimum(c: Column): number {
  return c.kind === "fixed" ? Infinity : Math.max(c.head.length, c.kind === "name" ? 12 : 24);
}

/** A cell that shortens itself (e.g. each name in `a -> b`, keeping the arrow) instead of in the middle. */
export interface FitCell {
  text: string;
  fit(width: number): string;
}

export type Cell = string | FitCell;

const cellText = (c: Cell | undefined): string => (c === undefined ? "" : typeof c === "string" ? c : c.text);

export interface TextTable {
  lines: string[];
  /** Whether some name was shortened with `…`. */
  shortened: boolean;
}

/**
 * An aligned table indented by `indent`, at most `width` characters wide when the columns can
 * shrink that far: text columns wrap first (that loses nothing), then the widest names are
 * shortened, one character at a time. `rowLines[i]` is how many lines row `i` took, so callers can
 * colour them.
 */
export function textTable(
  columns: readonly Column[],
  rows: readonly (readonly Cell[])[],
  width: number,
  indent = "  ",
): TextTable & { rowLines: number[]; widths: number[] } {
  const gap = 2;
  const widths = columns.map((c, i) => Math.max(c.head.length, ...rows.map((r) => cellText(r[i]).length)));
  const total = (): number => indent.length + widths.reduce((a, b) => a + b, 0) + gap * (widths.length - 1);
  for (const kind of ["text", "name"] as const) {
    while (total() > width) {
      let pick = -1;
      for (let i = 0; i < columns.length; i++) {
        const ok = columns[i].kind === kind && widths[i] > minimum(columns[i]);
        if (ok && (pick < 0 || widths[i] > widths[pick])) pick = i;
      }
      if (pick < 0) break;
      widths[pick]--;
    }
  }
  let shortened = false;
  const lines: string[] = [];
  const rowLines: number[] = [];
  for (const row of [columns.map((c): Cell => c.head), ...rows]) {
    const cells = columns.map((c, i) => {
      const cell = row[i];
      const text = cellText(cell);
      if (c.kind === "text") return wrap(text, widths[i]);
      if (c.kind !== "name" || text.length <= widths[i]) return [text];
      shortened = true;
      return [typeof cell === "object" ? cell.fit(widths[i]) : shorten(text, widths[i])];
    });
    const height = Math.max(...cells.map((c) => c.length));
    for (let k = 0; k < height; k++) {
      const parts = cells.map((c, i) =>
        i === cells.length - 1 ? (c[k] ?? "") : (c[k] ?? "").padEnd(widths[i]),
      );
      lines.push(`${indent}${parts.join(" ".repeat(gap))}`.trimEnd());
    }
    rowLines.push(height);
  }
  return { lines, shortened, rowLines: rowLines.slice(1), widths };
}
