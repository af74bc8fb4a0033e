// The service's REST API, called with the cockpit session's token as the bearer: the page can
// do exactly what its operator can do in the chat, and the service audits it as them.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export class Api {
  constructor() {
    this.token = null;
    this.expiresAt = null;
    this.operator = null;
    this.project = null;
  }

  // Signs in with Telegram's initData; answers the session ({token, expiresAt, operator, startParam}).
  async signIn(initData) {
    const session = await this.request('POST', '/api/app/session', { initData }, false);
    this.token = session.token;
    this.expiresAt = session.expiresAt;
    this.operator = session.operator;
    return session;
  }

  async renew() {
    const renewed = await this.request('POST', '/api/app/session/renew');
    this.expiresAt = renewed.expiresAt;
  }

  get(path) { return this.request('GET', path); }
  post(path, body) { return this.request('POST', path, body ?? {}); }

  async request(method, path, body, authenticated = true) {
    const headers = { 'Accept': 'application/json' };
    if (authenticated) headers['Authorization'] = `Bearer ${this.token}`;
    if (this.project) headers['X-Project'] = this.project;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (!response.ok) {
      const error = data && data.error ? data.error : { code: 'http_' + response.status, message: text || response.statusText };
      throw new ApiError(response.status, error.code, error.message);
    }
    return data;
  }

  // Every page of a list (`limit`/`offset`, answered as {items, total}).
  async all(path) {
    const items = [];
    const sep = path.includes('?') ? '&' : '?';
    for (let offset = 0; ; offset += 200) {
      const page = await this.get(`${path}${sep}limit=200&offset=${offset}`);
      items.push(...page.items);
      if (items.length >= page.total || page.items.length === 0) return items;
    }
  }

  // The live feed: an EventSource on /api/app/events (which takes the token as a parameter,
  // since EventSource sends no headers); it resumes after the last event on its own.
  feed() {
    const params = new URLSearchParams({ access_token: this.token });
    if (this.project) params.set('project', this.project);
    return new EventSource(`/api/app/events?${params}`);
  }
}
