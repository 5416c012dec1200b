// A JSON-RPC session with a Tryton server (trytond 6.0), over Node's fetch: login, the user's context on every model
// call, re-login once on a 401, Tryton's date and Decimal encodings, and Tryton's answers sorted into three kinds:
// unreachable (TrytonUnavailableError, retryable), a business refusal (TrytonUserError: Tryton's own message), and
// anything else (TrytonServerError: a bug or a misconfiguration; nothing to retry).
//
// Protocol facts (verified against trytond 6.0.29 as Debian packages it, installed by scripts/tryton/install.sh):
// - POST `<url>/<db>/` (the trailing slash matters: without it a 308) with exactly {id, method, params};
//   `common.db.login` [user, {password}, language] answers [uid, session]; later calls send
//   `Authorization: Session base64(user:uid:session)`.
// - A bad or expired session is HTTP 401 with an empty body. Methods marked fresh_session (account.move.post) also
//   answer 401 when the session has been idle longer than `[session] timeout` (300 s by default); 401 comes before
//   the method runs, so the call is safe to repeat after a new login. A refused login is a 401 too.
// - Business errors are HTTP 200 with {"error": ["UserError", [message, description, domain]]}; other server
//   exceptions are {"error": [str(exception), traceback]}.
import { ConnectorUnavailableError } from './types.js';

export interface TrytonConnection {
  /** `http://127.0.0.1:8000`, without the database. */
  url: string;
  database: string;
  username: string;
  password: string;
  /** Per HTTP request; an answer that does not come in time counts as the server being unavailable. */
  timeoutMs?: number;
  /** A stand-in for the global fetch (tests observe the HTTP exchange through it). */
  fetch?: typeof fetch;
}

/** Tryton could not be reached, answered 5xx/429, timed out, or refused the login: try again later. */
export class TrytonUnavailableError extends ConnectorUnavailableError {}

/** Tryton refused the request for a business reason; the message is Tryton's own. */
export class TrytonUserError extends Error {
  override readonly name = 'TrytonUserError';
  constructor(
    message: string,
    readonly description: string,
    /** The RPC method Tryton refused. */
    readonly method: string,
  ) {
    super(message);
  }
}

/** Any other error answer: a bug in the request, or a server misconfiguration. */
export class TrytonServerError extends Error {
  override readonly name = 'TrytonServerError';
}

export type TrytonContext = Record<string, unknown>;

/** One HTTP exchange's outcome: a 401, or the decoded result (dates and Decimals as strings). */
type Answer = { unauthorized: true } | { unauthorized: false; result: unknown };

interface Login {
  authorization: string;
  context: TrytonContext;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** A date for Tryton: `{"__class__": "date", ...}` from YYYY-MM-DD. */
export function trytonDate(isoDate: string): Record<string, unknown> {
  const [year, month, day] = isoDate.split('-').map(Number);
  return { __class__: 'date', year, month, day };
}

/** A Decimal for Tryton, from a decimal string (never a JS number: money). */
export function trytonDecimal(value: string): Record<string, unknown> {
  return { __class__: 'Decimal', decimal: value };
}

const pad = (n: unknown, width = 2): string => String(n).padStart(width, '0');

/** Tryton's tagged values in answers become strings: Decimal "100.00", date "2026-01-31", datetime ISO 8601. */
function reviveTagged(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || !('__class__' in value)) return value;
  const v = value as Record<string, unknown>;
  switch (v.__class__) {
    case 'Decimal':
      return v.decimal;
    case 'date':
      return `${pad(v.year, 4)}-${pad(v.month)}-${pad(v.day)}`;
    case 'datetime':
      return `${pad(v.year, 4)}-${pad(v.month)}-${pad(v.day)}T${pad(v.hour)}:${pad(v.minute)}:${pad(v.second)}`;
    default:
      return value;
  }
}

function describeCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}

export class TrytonSession {
  private readonly endpoint: string;
  private readonly root: string;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;
  private pending: Promise<Login> | null = null;
  private current: Login | null = null;
  private nextId = 1;

  constructor(private readonly connection: TrytonConnection) {
    const base = connection.url.replace(/\/+$/u, '');
    this.root = `${base}/`;
    this.endpoint = `${base}/${encodeURIComponent(connection.database)}/`;
    this.timeoutMs = connection.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetch = connection.fetch ?? globalThis.fetch;
  }

  /** The user's context (company, language, …): the last parameter of every model call. */
  async context(): Promise<TrytonContext> {
    return (await this.session()).context;
  }

  /** `model.<model>.<method>(...args, context)`. */
  async model(model: string, method: string, ...args: unknown[]): Promise<unknown> {
    const call = (login: Login) =>
      this.post(this.endpoint, `model.${model}.${method}`, [...args, login.context], login);
    const first = await this.session();
    const answer = await call(first);
    if (!answer.unauthorized) return answer.result;
    // The session expired, or is not fresh enough for this method: log in again, once.
    this.forget(first);
    const retried = await call(await this.session());
    if (!retried.unauthorized) return retried.result;
    throw new TrytonUnavailableError(`Tryton refused a new session for ${model}.${method}`);
  }

  /** Answers when the server is up, without logging in: `common.server.version` on the root path. */
  async version(): Promise<string> {
    const answer = await this.post(this.root, 'common.server.version', [], null);
    if (answer.unauthorized || typeof answer.result !== 'string') {
      throw new TrytonServerError('common.server.version: unexpected answer');
    }
    return answer.result;
  }

  /** Ends the session on the server (best effort: an unreachable server forgets it after its timeout). */
  async logout(): Promise<void> {
    const login = this.current;
    this.pending = null;
    this.current = null;
    if (!login) return;
    try {
      await this.post(this.endpoint, 'common.db.logout', [], login);
    } catch (err) {
      if (!(err instanceof TrytonUnavailableError)) throw err;
    }
  }

  /** One login shared by concurrent calls; a failed login is not kept, so the next call tries again. */
  private session(): Promise<Login> {
    this.pending ??= this.authenticate().then(
      (login) => (this.current = login),
      (err: unknown) => {
        this.pending = null;
        throw err;
      },
    );
    return this.pending;
  }

  /** Drops a session the server refused, unless a concurrent call has already replaced it. */
  private forget(stale: Login): void {
    if (this.current !== stale) return;
    this.current = null;
    this.pending = null;
  }

  private async authenticate(): Promise<Login> {
    const { username, password } = this.connection;
    // Language 'en': Tryton's refusals become rejection messages, and they should read the same everywhere.
    const answer = await this.post(this.endpoint, 'common.db.login', [username, { password }, 'en'], null);
    if (answer.unauthorized) {
      throw new TrytonUnavailableError(`Tryton refused the login of ${JSON.stringify(username)}`);
    }
    const [uid, key] = Array.isArray(answer.result) ? (answer.result as unknown[]) : [];
    if (typeof uid !== 'number' || typeof key !== 'string') {
      throw new TrytonServerError('common.db.login: unexpected answer');
    }
    const authorization = `Session ${Buffer.from(`${username}:${uid}:${key}`).toString('base64')}`;
    const preferences = await this.post(this.endpoint, 'model.res.user.get_preferences', [true, {}], {
      authorization,
      context: {},
    });
    if (preferences.unauthorized || preferences.result === null || typeof preferences.result !== 'object') {
      throw new TrytonServerError('res.user.get_preferences: unexpected answer');
    }
    return { authorization, context: preferences.result as TrytonContext };
  }

  private async post(url: string, method: string, params: unknown[], login: Login | null): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (login) headers.authorization = login.authorization;
    let response: Response;
    let text: string;
    try {
      response = await this.fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ id: this.nextId++, method, params }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      throw new TrytonUnavailableError(`Tryton at ${this.connection.url} is unreachable (${describeCause(err)})`);
    }
    if (response.status === 401) return { unauthorized: true };
    if (response.status === 429 || response.status >= 500) {
      throw new TrytonUnavailableError(`Tryton answered HTTP ${response.status} to ${method}`);
    }
    if (response.status !== 200) throw new TrytonServerError(`Tryton answered HTTP ${response.status} to ${method}`);
    let body: { result?: unknown; error?: unknown };
    try {
      body = JSON.parse(text, reviveTagged) as typeof body;
    } catch {
      throw new TrytonServerError(`Tryton answered ${method} with something other than JSON`);
    }
    if (body.error === undefined) return { unauthorized: false, result: body.result ?? null };
    throw this.errorOf(method, body.error);
  }

  private errorOf(method: string, error: unknown): Error {
    if (Array.isArray(error) && error[0] === 'UserError' && Array.isArray(error[1])) {
      const [message, description] = error[1] as unknown[];
      return new TrytonUserError(String(message), typeof description === 'string' ? description : '', method);
    }
    const summary = Array.isArray(error) ? String(error[0]) : JSON.stringify(error);
    // SQLite's lock wait ran out (trytond already retried): the server is busy, not wrong.
    if (/database is locked/iu.test(summary)) return new TrytonUnavailableError(`Tryton is busy: ${summary}`);
    return new TrytonServerError(`${method}: ${summary}`);
  }
}
