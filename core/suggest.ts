/**
 * "Did you mean" for names the user misspelt: a bounded edit distance, the closest known name,
 * and the fix sentence that error messages end with. Pure string work.
 */

/**
 * Levenshtein distance, bounded: exact up to `max`; above it, some number above `max` (`max + 1`
 * as soon as a whole row exceeds it, so long unrelated words cost little).
 */
export function editDistance(a: string, b: string, max = 3): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The closest candidate, ignoring case, within a distance that scales with the word (1 edit for
 * words of up to 5 characters, 2 for 6 to 8, 3 from 9), or `undefined`. Ties go to the candidate
 * that sorts first, so the answer does not depend on the candidates' order.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const max = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestD = max + 1;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    const d = c.toLowerCase() === lower ? 0 : editDistance(lower, c.toLowerCase(), max);
    if (d < bestD || (d === bestD && best !== undefined && c < best)) {
      best = c;
      bestD = d;
    }
  }
  return bestD <= max ? best : undefined;
}

/** `a`, `b` and `c` in backticks, at most `limit` of them. */
export function codeList(names: readonly string[], limit = 8): string {
  const shown = names.slice(0, limit).map((n) => `\`${n}\``);
  const more = names.length > limit ? ` and ${names.length - limit} more` : "";
  return shown.join(", ") + more;
}

/** The fix for an unknown `word`: "did you mean `x`?", else the defined `kind`s, else that there are none. */
export function suggestion(word: string, candidates: readonly string[], kind: string): string {
  const near = closest(word, candidates);
  if (near !== undefined) return `did you mean \`${near}\`?`;
  if (candidates.length === 0) return `no ${kind} is defined yet`;
  return `defined ${kind}s: ${codeList([...candidates].sort())}`;
}
