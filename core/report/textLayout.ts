/**
 * Text that fits a terminal: word wrapping, names shortened in the middle, and tables that shrink
 * to a width. Widths are terminal columns (`textWidth.ts`): one for the ASCII names the spec allows
 * and for the few symbols the reports use (`—`, `…`, `▓`, `░`), two for an East Asian wide
 * character (`東`, `한`, `Ａ`, most emoji) in a tenant name.
 */
import { charColumns, columns } from "./textWidth";

export { columns } from "./textWidth";

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

/** The longest start of `s` (whole characters) that takes at most `width` columns. */
function headOf(s: string, width: number): string {
  let out = "";
  let used = 0;
  for (const ch of s) {
    const w = charColumns(ch);
    if (used + w > width) break;
    out += ch;
    used += w;
  }
  return out;
}

/** The longest end of `s` (whole characters) that takes at most `width` columns. */
function tailOf(s: string, width: number): string {
  const chars = [...s];
  let used = 0;
  let i = chars.length;
  while (i > 0 && used + charColumns(chars[i - 1]) <= width) used += charColumns(chars[--i]);
  return chars.slice(i).join("");
}

/** `s` padded with spaces to `width` columns. */
export function padEnd(s: string, width: number): string {
  return s + " ".repeat(Math.max(0, width - columns(s)));
}

/**
 * `s` in at most `width` columns, with `…` in the middle when it is longer (both ends stay
 * readable). A wide character that does not fit whole leaves its column blank rather than split.
 */
export function shorten(s: string, width: number): string {
  if (columns(s) <= width) return s;
  if (width <= 1) return "…".slice(0, width);
  const keep = width - 1;
  const head = Math.ceil(keep / 2);
  return `${headOf(s, head)}…${tailOf(s, keep - head)}`;
}

/**
 * `s` wrapped at spaces into lines of at most `width` columns (`first` for the first line); a
 * word longer than a line is cut into pieces between characters, so nothing is dropped. Always at
 * least one line.
 */
export function wrap(s: string, width: number, first = width): string[] {
  const lines: string[] = [];
  const room = (): number => Math.max(1, lines.length === 0 ? first : width);
  let line = "";
  for (const word of s.split(" ")) {
    if (line !== "" && columns(line) + 1 + columns(word) <= room()) {
      line += ` ${word}`;
      continue;
    }
    if (line !== "") lines.push(line);
    let rest = word;
    while (columns(rest) > room()) {
      const piece = headOf(rest, room()) || [...rest][0];
      lines.push(piece);
      rest = rest.slice(piece.length);
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

/** The fewest columns a shortened title in a heading keeps; with less room the heading wraps instead. */
const TITLE_MIN = 16;

/**
 * A report's first line, `<command> <title>: <verdict>` (`servicevm plan fleet.yaml: ok`), in
 * `width` columns. A title too long for the line (a long spec path) is shortened in the middle, so
 * the verdict stays at the end of the one line where it is looked for; only when not even
 * {@link TITLE_MIN} columns of title would fit does the heading wrap instead.
 */
export function headline(
  command: string,
  title: string | undefined,
  verdict: string,
  width: number,
): string[] {
  const line = (t: string | undefined): string => `${command}${t === undefined ? "" : ` ${t}`}: ${verdict}`;
  const full = line(title);
  const room = width - columns(line(""));
  if (title === undefined || columns(full) <= width || room < TITLE_MIN)
    return paragraph(full, width, "", "  ");
  return [line(shorten(title, room))];
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
 * An aligned table indented by `indent`, at most `width` columns wide when the columns can
 * shrink that far: text columns wrap first (that loses nothing), then the widest names are
 * shortened, one column at a time. `rowLines[i]` is how many lines row `i` took, so callers can
 * colour them.
 */
export function textTable(
  cols: readonly Column[],
  rows: readonly (readonly Cell[])[],
  width: number,
  indent = "  ",
): TextTable & { rowLines: number[]; widths: number[] } {
  const gap = 2;
  const widths = cols.map((c, i) => Math.max(columns(c.head), ...rows.map((r) => columns(cellText(r[i])))));
  const total = (): number => indent.length + widths.reduce((a, b) => a + b, 0) + gap * (widths.length - 1);
  for (const kind of ["text", "name"] as const) {
    while (total() > width) {
      let pick = -1;
      for (let i = 0; i < cols.length; i++) {
        const ok = cols[i].kind === kind && widths[i] > minimum(cols[i]);
        if (ok && (pick < 0 || widths[i] > widths[pick])) pick = i;
      }
      if (pick < 0) break;
      widths[pick]--;
    }
  }
  let shortened = false;
  const lines: string[] = [];
  const rowLines: number[] = [];
  for (const row of [cols.map((c): Cell => c.head), ...rows]) {
    const cells = cols.map((c, i) => {
      const cell = row[i];
      const text = cellText(cell);
      if (c.kind === "text") return wrap(text, widths[i]);
      if (c.kind !== "name" || columns(text) <= widths[i]) return [text];
      shortened = true;
      return [typeof cell === "object" ? cell.fit(widths[i]) : shorten(text, widths[i])];
    });
    const height = Math.max(...cells.map((c) => c.length));
    for (let k = 0; k < height; k++) {
      const parts = cells.map((c, i) =>
        i === cells.length - 1 ? (c[k] ?? "") : padEnd(c[k] ?? "", widths[i]),
      );
      lines.push(`${indent}${parts.join(" ".repeat(gap))}`.trimEnd());
    }
    rowLines.push(height);
  }
  return { lines, shortened, rowLines: rowLines.slice(1), widths };
}
