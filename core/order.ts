/**
 * The one ordering of everything servicevm puts in state, reports and messages (the core's own
 * sorts use `Array.prototype.sort()` without a comparator, which is `compareText`).
 *
 * Both comparators depend on nothing but the strings' UTF-16 code units, never on the machine's
 * locale or ICU version (`localeCompare` does), so the same fleet sorts the same everywhere and a
 * state written on one machine shows no diff on another.
 */

/** Code-unit order, the order of `Array.prototype.sort()` without a comparator: `B` < `a` < `b`. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Device order: runs of ASCII digits compare by value (`fw-2` < `fw-10`), everything else by code
 * unit. Equal values with different digits (`fw-01`, `fw-1`) fall back to code-unit order of the
 * whole strings, so the order is total and `0` only for equal strings.
 */
export function compareNatural(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (isDigit(a, i) && isDigit(b, j)) {
      const x = digitsAt(a, i);
      const y = digitsAt(b, j);
      const byValue = compareDigits(x, y);
      if (byValue !== 0) return byValue;
      i += x.length;
      j += y.length;
    } else {
      if (a[i] !== b[j]) return compareText(a[i], b[j]);
      i++;
      j++;
    }
  }
  return a.length - i - (b.length - j) || compareText(a, b);
}

function isDigit(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/** The run of ASCII digits starting at `i`. */
function digitsAt(s: string, i: number): string {
  let end = i;
  while (end < s.length && isDigit(s, end)) end++;
  return s.slice(i, end);
}

/** Two runs of digits by numeric value, without overflow for long runs. */
function compareDigits(x: string, y: string): number {
  const a = x.replace(/^0+(?=\d)/, "");
  const b = y.replace(/^0+(?=\d)/, "");
  return a.length - b.length || compareText(a, b);
}
