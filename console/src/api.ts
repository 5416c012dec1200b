// The console's one way to the server: Revtrail's own GraphQL (/graphql) and REST (/v1/...), with the key from session
// storage in the Authorization header. The key never goes into a URL (not in a query string, not in a download link):
// downloads are fetched with the header and saved from the blob.

const KEY_ITEM = 'revtrail.apiKey';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_ITEM);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY_ITEM, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY_ITEM);
}

/** A refusal or failure as the console shows it: the server's problem code and detail when it sent one. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null,
  ) {
    super(message);
  }
}

function headers(json: boolean): Record<string, string> {
  const h: Record<string, string> = {};
  const key = storedKey();
  if (key) h.authorization = `Bearer ${key}`;
  if (json) h['content-type'] = 'application/json';
  return h;
}

interface Problem {
  title?: string;
  detail?: string;
  code?: string;
  errors?: { message?: string; code?: string; path?: string }[];
}

async function refusal(res: Response): Promise<ApiError> {
  const text = await res.text();
  let problem: Problem;
  try {
    problem = JSON.parse(text) as Problem;
  } catch {
    problem = { detail: text.slice(0, 200) };
  }
  const first = problem.errors?.[0];
  // A refused field is named: "products.0.ssp: ..." rather than the message alone.
  const field = first?.message && first.path ? `${first.path}: ${first.message}` : first?.message;
  const detail = problem.detail ?? field ?? first?.code ?? problem.title ?? res.statusText;
  return new ApiError(
    `${res.status} ${problem.code ?? ''} ${detail}`.replace(/\s+/g, ' ').trim(),
    res.status,
    problem.code ?? null,
  );
}

/** A REST call: the parsed JSON answer, or an ApiError with the server's code and detail. */
export async function rest<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: headers(body !== undefined),
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw await refusal(res);
  return (await res.json()) as T;
}

interface GraphqlAnswer<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** A GraphQL operation: its data, or an ApiError carrying the first error's code and message. */
export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: headers(true),
    body: JSON.stringify({ query, variables }),
  });
  if (res.status === 401 || res.status === 403) throw await refusal(res);
  const answer = (await res.json()) as GraphqlAnswer<T>;
  const error = answer.errors?.[0];
  if (error || !answer.data)
    throw new ApiError(
      `${error?.extensions?.code ?? 'GRAPHQL_ERROR'} ${error?.message ?? 'no data'}`,
      res.status,
      error?.extensions?.code ?? null,
    );
  return answer.data;
}

/** Fetches a file with the key in the header and hands it to the browser as a download named `filename`. */
export async function download(path: string, filename: string): Promise<void> {
  const res = await fetch(path, { headers: headers(false) });
  if (!res.ok) throw await refusal(res);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export interface Whoami {
  name: string;
  scopes: string[];
  effectiveScopes: string[];
}

export const whoami = (): Promise<Whoami> => rest<Whoami>('GET', '/v1/whoami');
