// Request bodies: JSON only, UTF-8 only, and bounded in depth — refused as a whole (problem+json) before any route
// sees them, so nothing of a refused body is stored and nothing downstream walks an unbounded structure.
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';

/** Deepest nesting a body may have: the body object is level 1; an event's line is level 6. */
export const MAX_BODY_DEPTH = 32;

/** A refusal of the body as a whole; the problem handler answers it with its status and code. */
export class BodyError extends Error {
  override readonly name = 'BodyError';
  constructor(
    readonly statusCode: 400 | 415,
    readonly problemCode: string,
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

/**
 * Replaces fastify's JSON parser (and drops its text/plain one, so any other media type is 415). Prototype keys
 * (`__proto__`, `constructor.prototype`) are refused, not stripped: a body that tries them is not what it says.
 */
export function installJsonBody(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  addJsonParser(app, parseJsonText);
}

/**
 * Keeps a route context's JSON bodies as text (the charset still checked): for a route that hands the body to
 * another thread, which parses it with `parseJsonText` there (POST /v1/events: ./ingest-thread.ts).
 */
export function keepJsonBodyAsText(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  addJsonParser(app, (text) => text);
}

/** The application/json parser: the charset checked, then the body's text read by `read` (a BodyError refuses it). */
function addJsonParser(app: FastifyInstance, read: (text: string) => unknown): void {
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    try {
      const charset = charsetOf(req.headers['content-type'] ?? '');
      if (charset !== null && charset !== 'utf-8' && charset !== 'utf8')
        throw new BodyError(415, 'UNSUPPORTED_MEDIA_TYPE', `JSON bodies are UTF-8; charset=${charset} is not accepted`);
      done(null, read(body as string));
    } catch (err) {
      done(err as BodyError, undefined);
    }
  });
}

/** A JSON body's value, or a BodyError saying why it is refused as a whole. */
export function parseJsonText(text: string): unknown {
  if (text.length === 0) throw new BodyError(400, 'MALFORMED_BODY', 'the body is empty; a JSON document is expected');
  let value: unknown;
  try {
    value = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    throw forbiddenKey(text) ?? new BodyError(400, 'MALFORMED_BODY', 'the body is not valid JSON');
  }
  const tooDeep = pathDeeperThan(value, MAX_BODY_DEPTH);
  if (tooDeep !== null) {
    const where = tooDeep === '' ? 'the body' : tooDeep;
    throw new BodyError(
      400,
      'BODY_TOO_DEEP',
      `JSON is nested at most ${MAX_BODY_DEPTH} levels; ${where} is deeper`,
      tooDeep,
    );
  }
  return value;
}

/** The charset parameter of a Content-Type, lower-cased and unquoted; null when there is none. */
function charsetOf(contentType: string): string | null {
  for (const param of contentType.split(';').slice(1)) {
    const [name, value] = param.split('=').map((s) => s.trim());
    if (name?.toLowerCase() === 'charset') return (value ?? '').replace(/^"(.*)"$/, '$1').toLowerCase();
  }
  return null;
}

/** Valid JSON refused by the secure parser holds a prototype key: say so rather than "not valid JSON". */
function forbiddenKey(body: string): BodyError | null {
  try {
    JSON.parse(body);
  } catch {
    return null;
  }
  return new BodyError(400, 'FORBIDDEN_KEY', 'the body holds a "__proto__" or "constructor.prototype" key');
}

/** The path (a.0.b) of the first value nested deeper than `max` levels, or null; walked with a stack. */
function pathDeeperThan(root: unknown, max: number): string | null {
  // Each object on the stack links to its parent: the path is spelled out only for the value that is too deep, rather
  // than copied for every object of every body.
  interface Nested {
    value: object;
    depth: number;
    key: string;
    parent: Nested | null;
  }
  if (root === null || typeof root !== 'object') return null;
  const stack: Nested[] = [{ value: root, depth: 0, key: '', parent: null }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (item.depth >= max) {
      const path: string[] = [];
      for (let at: Nested | null = item; at?.parent; at = at.parent) path.unshift(at.key);
      return path.join('.');
    }
    for (const key of Object.keys(item.value)) {
      const child = (item.value as Record<string, unknown>)[key];
      if (child !== null && typeof child === 'object')
        stack.push({ value: child, depth: item.depth + 1, key, parent: item });
    }
  }
  return null;
}
