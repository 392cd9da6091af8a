/** HTML of the sign-in, consent and error pages. Field names and form ids are documented in docs/sandbox.md. */

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; }
label { display: block; margin: 0.75rem 0 0.25rem; }
input { width: 100%; padding: 0.4rem; box-sizing: border-box; }
button { margin: 1rem 0.5rem 0 0; padding: 0.4rem 1.2rem; }
.error { color: #a4262c; }
.note { color: #605e5c; font-size: 0.85rem; }
</style>
</head>
<body>
${body}
</body>
</html>
`;
}

export interface LoginPageInput {
  productName: string;
  /** Directory the user signs in to, for example a tenant's domain. */
  directoryName: string;
  action: string;
  username: string;
  error?: string;
}

export function renderLoginPage(input: LoginPageInput): string {
  const error = input.error ? `<p class="error" id="error" role="alert">${escapeHtml(input.error)}</p>` : '';
  return page(
    `Sign in - ${input.productName}`,
    `<h1>Sign in</h1>
<p>${escapeHtml(input.productName)}: ${escapeHtml(input.directoryName)}</p>
${error}<form id="login" method="post" action="${escapeHtml(input.action)}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" value="${escapeHtml(input.username)}" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<p class="note">Local sandbox: the users and passwords are listed in sandbox.json.</p>`,
  );
}

export interface ConsentPageInput {
  productName: string;
  clientName: string;
  username: string;
  scopes: string[];
  action: string;
}

export function renderConsentPage(input: ConsentPageInput): string {
  const scopes = input.scopes.map((scope) => `<li>${escapeHtml(scope)}</li>`).join('\n');
  return page(
    `Permissions requested - ${input.productName}`,
    `<h1>Permissions requested</h1>
<p>${escapeHtml(input.clientName)} asks ${escapeHtml(input.username)} for these permissions:</p>
<ul>
${scopes}
</ul>
<form id="consent" method="post" action="${escapeHtml(input.action)}">
<button type="submit" name="decision" value="accept">Accept</button>
<button type="submit" name="decision" value="cancel">Cancel</button>
</form>`,
  );
}

export function renderErrorPage(productName: string, error: string, description?: string): string {
  const details = description ? `<p id="error_description">${escapeHtml(description)}</p>` : '';
  return page(
    `Sign-in error - ${productName}`,
    `<h1>Sign-in error</h1>
<p class="error" id="error">${escapeHtml(error)}</p>
${details}`,
  );
}
