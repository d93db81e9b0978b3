/**
 * Compiles an EventBridge `wildcard` value into a string test, once, at pattern-compile time.
 *
 * Syntax (aws/event-ruler `WildcardParser.java`, EventBridge "Wildcard matching"):
 * `*` matches any run of characters (including none); consecutive `*` are rejected; `\*` is a
 * literal asterisk, `\\` a literal backslash, and a backslash before anything else is rejected.
 *
 * The matcher is hand-written rather than a RegExp: the pattern is split into literal segments and
 * matched with startsWith/endsWith/indexOf, which is linear-ish and cannot backtrack badly.
 *
 * @example
 * const test = compileWildcard('dir/*.png');
 * if (typeof test !== 'string') test('dir/a.png'); // true
 */
export function compileWildcard(pattern: string): ((value: string) => boolean) | string {
  const segments: string[] = [];
  let current = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        return `"wildcard" value ${JSON.stringify(pattern)} has consecutive wildcard characters at position ${i}`;
      }
      segments.push(current);
      current = '';
    } else if (ch === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') {
        return `"wildcard" value ${JSON.stringify(pattern)} has an invalid escape at position ${i}; only \\* and \\\\ are allowed`;
      }
      current += next;
      i++;
    } else {
      current += ch;
    }
  }
  segments.push(current);

  if (segments.length === 1) {
    const literal = segments[0] as string;
    return (value) => value === literal;
  }
  const first = segments[0] as string;
  const last = segments[segments.length - 1] as string;
  const middle = segments.slice(1, -1).filter((s) => s !== '');
  const minLength = segments.reduce((n, s) => n + s.length, 0);
  return (value) => {
    if (value.length < minLength || !value.startsWith(first) || !value.endsWith(last)) return false;
    // Leftmost placement of each middle segment is optimal for `*`-only globs.
    let pos = first.length;
    const end = value.length - last.length;
    for (const seg of middle) {
      const at = value.indexOf(seg, pos);
      if (at < 0 || at + seg.length > end) return false;
      pos = at + seg.length;
    }
    return pos <= end;
  };
}
