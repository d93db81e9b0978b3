/**
 * What is wrong with a webhook URL the cell will POST to, in words that name it (`what`), or
 * undefined when it is an absolute http(s) URL. The alarm webhook and the report webhook share it;
 * each throws its own error class. (Subscriber endpoints have stricter rules: `subscribers.ts`.)
 *
 * @example
 * httpUrlProblem('hooks.example.com', 'alarm webhook');
 * // 'alarm webhook must be an absolute http(s) URL, got "hooks.example.com"'
 */
export function httpUrlProblem(url: string, what: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${what} must be an absolute http(s) URL, got ${JSON.stringify(url)}`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `${what} must be an http(s) URL, got ${JSON.stringify(url)}`;
  }
  return undefined;
}
