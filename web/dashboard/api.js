// The REST API through auth.js's authFetch (viewer token, and /login on a 401). Errors are
// the API's envelope {"error":{"code","message"}} turned into an Error with .code/.status.
import { authFetch } from '../auth.js';

export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api(method, path, body) {
  let res;
  try {
    res = await authFetch(path, {
      method,
      headers: body !== undefined ? { 'Content-Type': 'application/json' } : {},
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    throw new ApiError(`${method} ${path}: the server cannot be reached (${e.message})`, 0, 'network');
  }
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = json && json.error;
    throw new ApiError(err && err.message ? err.message : `${method} ${path}: ${res.status} ${res.statusText}`,
      res.status, err ? err.code : String(res.status));
  }
  return json;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body ?? {});
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);
export const enc = encodeURIComponent;
