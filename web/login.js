// The login page: POST /auth/login (JSON), then back to the page that sent us here.
// Without JavaScript the form posts itself (the server answers with a redirect).
const params = new URLSearchParams(location.search);
const next = (() => {
  const n = params.get('next') || '/';
  return n.startsWith('/') && !n.startsWith('//') ? n : '/';
})();
const form = document.getElementById('login');
const errorBox = document.getElementById('error');
document.getElementById('next').value = next;

function showError(text) {
  errorBox.textContent = text;
  errorBox.hidden = !text;
}
if (params.get('failed')) showError('Wrong user name or password.');

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  showError('');
  const res = await fetch('/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      username: document.getElementById('username').value,
      password: document.getElementById('password').value,
    }),
  }).catch((e) => ({ ok: false, status: 0, statusText: e.message, json: async () => ({}) }));
  if (res.ok) {
    location.assign(next);
    return;
  }
  const body = await res.json().catch(() => ({}));
  showError(body.error ? body.error.message : `${res.status} ${res.statusText}`);
});
