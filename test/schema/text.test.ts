import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeUtf8, firstInvalidUtf8, LineIndex } from "../../schema/text";

const bytes = (...b: number[]) => Uint8Array.from(b);
const fatal = new TextDecoder("utf-8", { fatal: true });

function decodes(b: Uint8Array): boolean {
  try {
    fatal.decode(b);
    return true;
  } catch {
    return false;
  }
}

describe("firstInvalidUtf8", () => {
  it.each([
    ["empty input", bytes(), 0],
    ["ASCII", bytes(0x61, 0x0a, 0x62), 3],
    ["a 2-byte sequence (é)", bytes(0xc3, 0xa9), 2],
    ["a 3-byte sequence (€)", bytes(0xe2, 0x82, 0xac), 3],
    ["a 4-byte sequence (😀)", bytes(0xf0, 0x9f, 0x98, 0x80), 4],
    ["the largest code point U+10FFFF", bytes(0xf4, 0x8f, 0xbf, 0xbf), 4],
    ["a Latin-1 é after ASCII", bytes(0x61, 0xe9, 0x62), 1],
    ["a lone continuation byte", bytes(0x61, 0x80), 1],
    ["an overlong 2-byte form (C0 80)", bytes(0xc0, 0x80), 0],
    ["an overlong 3-byte form (E0 80 80)", bytes(0xe0, 0x80, 0x80), 0],
    ["an overlong 4-byte form (F0 80 80 80)", bytes(0xf0, 0x80, 0x80, 0x80), 0],
    ["a UTF-16 surrogate (ED A0 80)", bytes(0xed, 0xa0, 0x80), 0],
    ["a code point above U+10FFFF (F4 90 80 80)", bytes(0xf4, 0x90, 0x80, 0x80), 0],
    ["a lead byte that never occurs (F5)", bytes(0x61, 0xf5, 0x80, 0x80, 0x80), 1],
    ["a sequence cut short by the end", bytes(0x61, 0xe2, 0x82), 1],
    ["a sequence cut short by ASCII", bytes(0xe2, 0x82, 0x61), 0],
  ])("finds %s at offset %i", (_name, input, offset) => {
    expect(firstInvalidUtf8(input)).toBe(offset);
  });

  it("agrees with a strict decoder: everything before it decodes, the sequence at it does not", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (b) => {
        const bad = firstInvalidUtf8(b);
        expect(bad === b.length).toBe(decodes(b));
        expect(decodes(b.subarray(0, bad))).toBe(true);
        if (bad < b.length) expect(decodes(b.subarray(0, Math.min(b.length, bad + 4)))).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("decodeUtf8", () => {
  it("drops a UTF-8 byte order mark", () => {
    expect(decodeUtf8(bytes(0xef, 0xbb, 0xbf, 0x61))).toEqual({ ok: true, text: "a" });
  });

  it("reports the first bad byte with its line and column", () => {
    expect(decodeUtf8(bytes(0x61, 0x0a, 0xc3, 0xa9, 0xe9))).toEqual({
      ok: false,
      line: 2,
      col: 2,
      message:
        "byte 0xe9 at offset 4 is not valid UTF-8; fleet specs are UTF-8 text: save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)",
    });
  });

  it("refuses UTF-16", () => {
    expect(decodeUtf8(bytes(0xff, 0xfe, 0x61, 0x00))).toMatchObject({ ok: false, line: 1, col: 1 });
  });
});

describe("LineIndex", () => {
  it.each([
    [0, { line: 1, col: 1 }],
    [2, { line: 1, col: 3 }],
    [3, { line: 2, col: 1 }],
    [5, { line: 2, col: 3 }],
    [6, { line: 2, col: 4 }],
    [7, { line: 3, col: 1 }],
    [99, { line: 3, col: 1 }],
    [-5, { line: 1, col: 1 }],
  ])("places offset %i of `ab\\ncd\\r\\n` (lines end at `\\n` only; offsets are clamped)", (offset, at) => {
    expect(new LineIndex("ab\ncd\r\n").position(offset)).toEqual(at);
  });

  it("counts lines and columns like a scan of the text, at any offset", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("a", "\n", "\r", "\ufeff", "é") }),
        fc.nat(40),
        (text, offset) => {
          const at = Math.min(offset, text.length);
          const before = text.slice(0, at);
          const line = before.split("\n").length;
          const col = at - (before.lastIndexOf("\n") + 1) + 1;
          expect(new LineIndex(text).position(offset)).toEqual({ line, col });
        },
      ),
      { numRuns: 1000 },
    );
  });
});
