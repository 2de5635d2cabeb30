// Who this tab is signed in as. The name and the last token live in sessionStorage (per tab,
// kept across reloads); the server's signing key survives restarts, so a token stays good
// through one. A new token is asked for only when the old one is near its end or was refused
// (silent re-sign-in); while the server is unreachable the old one is handed back, so the
// client keeps retrying the connection instead of counting a sign-in failure.

const NAME = 'parley-demo-name';
const TOKEN = 'parley-demo-token';
const REFRESH_BEFORE_MS = 10 * 60_000;

export class Session {
  constructor() {
    this.name = sessionStorage.getItem(NAME);
    const saved = JSON.parse(sessionStorage.getItem(TOKEN) ?? 'null');
    this.token = saved?.name === this.name ? saved.token : null;
    this.user = saved?.name === this.name ? saved.user : null;
    this.stale = false;
  }

  /** Signs in by name; throws an Error with the server's reason. */
  async signIn(name) {
    const res = await fetch('/demo/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw Object.assign(new Error(data.error?.message ?? `Could not sign in (HTTP ${res.status})`), { status: res.status });
    this.name = data.user.name;
    this.user = data.user;
    this.token = data.token;
    this.stale = false;
    sessionStorage.setItem(NAME, this.name);
    sessionStorage.setItem(TOKEN, JSON.stringify({ name: this.name, token: this.token, user: this.user }));
    return data.user;
  }

  /** The client's getToken: the token held while it is good, else a fresh one. */
  getToken = async () => {
    if (this.token !== null && !this.stale && expiresIn(this.token) > REFRESH_BEFORE_MS) return this.token;
    try {
      await this.signIn(this.name);
    } catch (error) {
      // Server down (a restart): keep the token we have; the socket will fail and retry.
      if (error.status === undefined && this.token !== null) return this.token;
      throw error;
    }
    return this.token;
  };

  /** The server refused the token (4401): the next getToken signs in again. */
  refused() {
    this.stale = true;
  }

  signOut() {
    sessionStorage.removeItem(NAME);
    sessionStorage.removeItem(TOKEN);
    this.name = null;
    this.token = null;
    this.user = null;
  }
}

/** Milliseconds until the JWT's `exp` (its payload is plain base64url JSON). */
function expiresIn(token) {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return typeof payload.exp === 'number' ? payload.exp * 1000 - Date.now() : Infinity;
  } catch {
    return 0;
  }
}
