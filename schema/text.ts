/**
 * Bytes to text, and offsets to line:col. Spec files must be UTF-8; anything else is reported at
 * the first bad byte instead of being silently replaced.
 */
import { LineCounter } from "yaml";

/**
 * Maps character offsets of one text to 1-based line and column with yaml's `LineCounter`; built
 * on first use, since a valid spec needs no positions. Lines end at `\n` only (a lone `\r` is not
 * a line break here), and a BOM counts as column 1 of line 1. The counter is filled from the text,
 * not by the parser: fed by the parser, it misses line breaks inside text the parser gives up on,
 * which is where syntax errors point.
 */
export class LineIndex {
  private counter: LineCounter | undefined;

  constructor(private readonly text: string) {}

  position(offset: number): { line: number; col: number } {
    const counter = (this.counter ??= countLines(this.text));
    return counter.linePos(Math.max(0, Math.min(offset, this.text.length)));
  }
}

function countLines(text: string): LineCounter {
  const counter = new LineCounter();
  counter.addNewLine(0);
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) counter.addNewLine(i + 1);
  return counter;
}

export type Decoded = { ok: true; text: string } | { ok: false; line: number; col: number; message: string };

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Decodes UTF-8 (dropping a BOM), or says where the first byte that is not UTF-8 is. */
export function decodeUtf8(bytes: Uint8Array): Decoded {
  if (
    bytes.length >= 2 &&
    ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
  ) {
    return {
      ok: false,
      line: 1,
      col: 1,
      message:
        "the file is UTF-16 (it starts with a UTF-16 byte order mark); fleet specs are UTF-8: save it as UTF-8",
    };
  }
  try {
    return { ok: true, text: decoder.decode(bytes) };
  } catch {
    const bad = firstInvalidUtf8(bytes);
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < bad; i++) {
      if (bytes[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    const col = new TextDecoder("utf-8").decode(bytes.subarray(lineStart, bad)).length + 1;
    const hex = `0x${bytes[bad].toString(16).padStart(2, "0")}`;
    return {
      ok: false,
      line,
      col,
      message: `byte ${hex} at offset ${bad} is not valid UTF-8; fleet specs are UTF-8 text: save the file as UTF-8 (e.g. \`iconv -f latin1 -t utf-8\`)`,
    };
  }
}

/**
 * Offset of the first byte that does not belong to a well-formed UTF-8 sequence (`b.length` when
 * all do), by the table of well-formed sequences in Unicode §3.9 (Table 3-7): the lead byte sets
 * the length, and the first continuation byte's narrower range for `E0`, `ED`, `F0` and `F4`
 * rejects overlong forms, UTF-16 surrogates and code points above U+10FFFF. A truncated sequence
 * is reported at its lead byte, as are `C0`, `C1` and `F5`..`FF`, which never occur.
 */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c < 0x80) n = 0;
    else if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined) return i;
      const min = k === 1 ? lo : 0x80;
      const max = k === 1 ? hi : 0xbf;
      if (x < min || x > max) return i;
    }
    i += n + 1;
  }
  return b.length;
}
