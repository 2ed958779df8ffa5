// Shared by the pages: the caller's account (GET /auth/me), a logout button, a viewer
// token from the page's own URL (?token=, links made with POST /auth/viewer-tokens)
// passed on to every request, and the way back to /login when the session has ended.
export const pageToken = new URLSearchParams(location.search).get('token');

// `url` with the page's viewer token added (for <img>, <video>, WebSocket URLs).
export function withToken(url) {
  if (!pageToken) return url;
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(pageToken)}`;
}

export function toLogin() {
  location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
}

// fetch() with the viewer token as a Bearer header; a 401 sends the user to /login.
export async function authFetch(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (pageToken) headers.Authorization = `Bearer ${pageToken}`;
  const res = await fetch(path, { ...options, headers });
  if (res.status === 401 && !pageToken) toLogin();
  return res;
}

// Shows "user (role) · Log out" in the page header.
export async function showAccount(container) {
  if (!container) return null;
  const res = await authFetch('/auth/me');
  if (!res.ok) return null;
  const me = await res.json();
  if (me.auth_disabled) return me;
  const name = document.createElement('span');
  name.className = 'account';
  name.textContent = me.via === 'viewer token' ? 'shared link' : `${me.user} (${me.role})`;
  container.append(name);
  if (me.via === 'session') {
    const out = document.createElement('button');
    out.textContent = 'Log out';
    out.id = 'logout';
    out.onclick = async () => {
      await fetch('/auth/logout', { method: 'POST' });
      location.assign('/login');
    };
    container.append(out);
  }
  return me;
}
