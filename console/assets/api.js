// The REST API on the console's own origin (no CORS): the API key goes in x-api-key, never into a URL.

const KEY_STORAGE = 'pimtasks.apiKey';
const ENV_STORAGE = 'pimtasks.environment';

/** An API answer that is not 2xx: `status`, the error `body` and its field errors (422). */
export class ApiError extends Error {
  constructor(status, body) {
    super(ApiError.describe(status, body));
    this.status = status;
    this.body = body;
    this.fieldErrors = Array.isArray(body?.errors) ? body.errors : [];
  }

  static describe(status, body) {
    if (status === 401) return 'This API key is not valid (or was revoked). Check the key and sign in again.';
    if (status === 403) return 'This API key may not use this environment.';
    if (status === 0) return 'The API cannot be reached. Is the stack running?';
    return body?.message || `The API answered ${status}.`;
  }
}

/** The signed-in session: the key lives in sessionStorage only (gone with the tab), never in localStorage. */
export const session = {
  get key() { return sessionStorage.getItem(KEY_STORAGE); },
  get environment() { return sessionStorage.getItem(ENV_STORAGE); },
  signIn(key) { sessionStorage.setItem(KEY_STORAGE, key); },
  choose(environment) { sessionStorage.setItem(ENV_STORAGE, environment); },
  signOut() { sessionStorage.removeItem(KEY_STORAGE); sessionStorage.removeItem(ENV_STORAGE); },
};

/** `request('GET', '/environments')`; throws ApiError for non-2xx answers and unreachable APIs. */
export async function request(method, path, {body, query, key = session.key, contentType} = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, value);
  }
  const headers = {accept: 'application/json'};
  if (key) headers['x-api-key'] = key;
  let payload;
  if (body !== undefined) {
    headers['content-type'] = contentType || 'application/json';
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, {method, headers, body: payload, cache: 'no-store'});
  } catch (error) {
    throw new ApiError(0, {message: String(error)});
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = {message: text}; }
  }
  if (!response.ok) {
    if (response.status === 401) window.dispatchEvent(new CustomEvent('pimtasks:unauthorized'));
    throw new ApiError(response.status, data);
  }
  return data;
}

/** The environment-scoped path: env('/tasks') -> /environments/000001/tasks. */
export function envPath(suffix, environment = session.environment) {
  return `/environments/${encodeURIComponent(environment)}${suffix}`;
}

/** Every item of a paged list (limit/next_token), page by page; `onPage(items, done)` after each page. */
export async function allPages(path, {limit = 100, onPage, signal} = {}) {
  const items = [];
  let token = null;
  do {
    if (signal?.aborted) break;
    const page = await request('GET', path, {query: {limit, next_token: token}});
    items.push(...page.items);
    token = page.next_token || null;
    if (onPage) onPage(page.items, !token);
  } while (token);
  return items;
}

/** PUT a file to a presigned URL with upload progress (fetch has none): resolves when S3 answered 2xx. */
export function putFile(url, file, {onProgress} = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && onProgress) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => (xhr.status >= 200 && xhr.status < 300
      ? resolve()
      : reject(new Error(`The upload was refused (${xhr.status}).`))));
    xhr.addEventListener('error', () => reject(new Error('The upload failed: the file store cannot be reached.')));
    xhr.send(file);
  });
}
