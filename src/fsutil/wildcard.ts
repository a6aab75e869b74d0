// The '*' and '?' of a `copy from` path, matched without a regular expression: a RegExp built
// from '*a*a*a...*b' backtracks exponentially and pinned a server's CPU (issue 7, hole 3).

/**
 * True when `name` matches `pattern` ('*' any run of characters, '?' one character, anything
 * else literally). Greedy two-pointer match: on a mismatch it only moves the last '*' on by one,
 * so it takes at most name.length × pattern.length steps, never an exponential number.
 */
export function wildcardMatch(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1; // index in pattern just after the last '*' seen
  let resume = 0; // where in name that '*' match would continue
  while (n < name.length) {
    const pc = pattern[p];
    if (pc === '*') {
      star = ++p;
      resume = n;
    } else if (pc !== undefined && (pc === '?' || pc === name[n])) {
      p++;
      n++;
    } else if (star >= 0) {
      p = star;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

export function hasWildcard(name: string): boolean {
  return name.includes('*') || name.includes('?');
}
