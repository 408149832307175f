/**
 * Markdown that stays Markdown whatever a user put in a name: code spans, plain text and table
 * cells. Checked against GitHub's renderer (`cmark-gfm --extension table`) in the tests.
 */

/** Line endings end a table row and a list item; inside a code span CommonMark reads them as spaces anyway. */
function oneLine(s: string): string {
  return s.replace(/\r\n|\r|\n/g, " ");
}

/**
 * `s` as a CommonMark code span that shows exactly `s` (line endings become spaces, as CommonMark
 * itself treats them in a code span). The fence is one backtick longer than the longest run of
 * backticks inside, so no run inside can close it. CommonMark strips one space from each side of a
 * span that begins and ends with a space (and is not only spaces), so a space of padding is added
 * when `s` begins or ends with a backtick (which would merge with the fence) or with a space (which
 * the padding protects from that stripping). `""` gives `""`: an empty code span cannot be written.
 */
export function codeSpan(s: string): string {
  const text = oneLine(s);
  if (text === "") return "";
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const onlySpaces = /^ +$/.test(text);
  const pad =
    text.startsWith("`") ||
    text.endsWith("`") ||
    (!onlySpaces && (text.startsWith(" ") || text.endsWith(" ")))
      ? " "
      : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

/**
 * `s` as literal inline text: every character CommonMark or GFM could read as inline markup
 * (emphasis, code, links, HTML and autolinks, entities, strikethrough, table pipes, backslashes) is
 * backslash-escaped, which CommonMark allows for any ASCII punctuation; `_` between letters or
 * digits (`CUSTOM_SERVICE_SLOT`) can neither open nor close emphasis and stays, and so does `>`. Line endings become spaces. For text that starts a line, see {@link lineStart}.
 */
export function plainText(s: string): string {
  return oneLine(s)
    .replace(/[\\`*[\]<&|~]/g, (c) => `\\${c}`)
    .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, "\\_");
}

/**
 * Inline Markdown that may start a line (a list item's text) with what would otherwise open a block
 * there (`#`, `>`, `+`, `-`, `=`, `1.`, `1)`) escaped.
 */
export function lineStart(markdown: string): string {
  return markdown.replace(/^(\d+)([.)])/, "$1\\$2").replace(/^[#>+=-]/, (c) => `\\${c}`);
}

/**
 * A planner message (it quotes names in backticks: ``device `fw-3` removed``) as Markdown: each
 * backtick-quoted part becomes a code span, the rest plain text. A name with a backtick in it makes
 * the pairing ambiguous; with an odd number of backticks the whole message is shown as plain text,
 * backticks included, so no character is lost and nothing outside the message is affected.
 */
export function messageText(s: string): string {
  const parts = oneLine(s).split("`");
  if (parts.length % 2 === 0) return plainText(s);
  return parts
    .map((part, i) => (i % 2 === 0 ? plainText(part) : part === "" ? "\\`\\`" : codeSpan(part)))
    .join("");
}

/**
 * A GFM table cell from inline Markdown: GFM splits a row at every `|` that is not preceded by a
 * backslash, even inside a code span, and removes exactly that backslash before parsing the cell,
 * so adding one before each `|` keeps code spans and escaped text intact.
 */
export function tableCell(markdown: string): string {
  return oneLine(markdown).replace(/\|/g, "\\|");
}

/** A GFM table; each cell is inline Markdown (made safe for the table by {@link tableCell}). */
export function markdownTable(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [markdownTableHead(head), markdownTableRule(head.length), ...rows.map(markdownTableRow)];
}

export function markdownTableHead(head: readonly string[]): string {
  return markdownTableRow(head);
}

export function markdownTableRule(columns: number): string {
  return `|${Array.from({ length: columns }, () => "---").join("|")}|`;
}

export function markdownTableRow(cells: readonly string[]): string {
  return `| ${cells.map(tableCell).join(" | ")} |`;
}
