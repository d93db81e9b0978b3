/**
 * The HTML of the dashboard's sign-in page (`GET /signin`, and a failed form sign-in): a key field
 * posted as a form (never in a URL: POST, `autocomplete="off"`), or, when signed in, who and until
 * when, with a sign-out button carrying the CSRF token. Self-contained (inline style, no script,
 * no asset), so it loads before any read is allowed; {@link SIGNIN_PAGE_HEADERS} forbid framing
 * and every other source.
 *
 * @example
 * reply.headers(SIGNIN_PAGE_HEADERS).type('text/html; charset=utf-8').send(renderSignInPage({}));
 */

export interface SignInPageModel {
  /** Why the last sign-in failed. */
  readonly error?: string;
  /** The session, when signed in. */
  readonly session?: { readonly name: string; readonly role: string; readonly expiresAt: string };
  /** The CSRF token of the sign-out form (signed in only). */
  readonly csrfToken?: string;
}

/** Headers of the page: no caching of a page that names the key, no framing, nothing else loaded. */
export const SIGNIN_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text safe inside HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; background: #f4f5f7; color: #1f2933; margin: 0; }
main { max-width: 26rem; margin: 12vh auto; background: #fff; padding: 2rem; border-radius: 8px;
  box-shadow: 0 1px 4px rgba(0,0,0,.12); }
h1 { font-size: 1.3rem; margin: 0 0 1rem; }
label { display: block; font-weight: 600; margin-bottom: .3rem; }
input[type=password] { width: 100%; box-sizing: border-box; padding: .5rem; font: inherit; }
button { margin-top: 1rem; padding: .5rem 1.2rem; font: inherit; cursor: pointer; }
.error { background: #fde8e8; color: #9b1c1c; padding: .6rem .8rem; border-radius: 4px; }
.hint { color: #52606d; font-size: .9rem; }
`;

function signedOutBody(model: SignInPageModel): string {
  const error = model.error ? `<p class="error" role="alert">${escapeHtml(model.error)}</p>` : '';
  return `${error}
<form method="post" action="/signin" autocomplete="off">
  <label for="key">API key</label>
  <input type="password" id="key" name="key" required autofocus>
  <button type="submit">Sign in</button>
</form>
<p class="hint">Sign in with a viewer or operator key. An operator creates one with
<code>invoice-ops keys create --role viewer --name &lt;name&gt;</code>.</p>`;
}

function signedInBody(model: SignInPageModel): string {
  const session = model.session as NonNullable<SignInPageModel['session']>;
  return `<p>Signed in as <strong id="session-name">${escapeHtml(session.name)}</strong>
(<span id="session-role">${escapeHtml(session.role)}</span>) until ${escapeHtml(session.expiresAt)}.</p>
<p><a href="/">Open the dashboard</a></p>
<form method="post" action="/signout">
  <input type="hidden" name="_csrf" value="${escapeHtml(model.csrfToken ?? '')}">
  <button type="submit">Sign out</button>
</form>`;
}

/** The whole page. */
export function renderSignInPage(model: SignInPageModel): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · invoice cell</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Invoice cell dashboard</h1>
${model.session ? signedInBody(model) : signedOutBody(model)}
</main>
</body>
</html>
`;
}
