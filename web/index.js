// Dashboard: lists cameras with their live state; start/stop buttons call the REST API.
import { authFetch, showAccount } from './auth.js';

const tbody = document.querySelector('#cameras tbody');
const errorBox = document.getElementById('error');

async function api(method, path) {
  const res = await authFetch(path, { method });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error ? body.error.message : `${res.status} ${res.statusText}`);
  return body;
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

function row(s) {
  const tr = document.createElement('tr');
  const name = document.createElement('td');
  const link = document.createElement('a');
  link.href = `/viewer?camera=${encodeURIComponent(s.camera_id)}`;
  link.textContent = s.name;
  name.append(link, document.createTextNode(` (${s.camera_id})`));
  tr.append(name, cell(s.source_type));
  const st = cell(s.state + (s.error ? `: ${s.error}` : ''));
  st.className = `state ${s.state}`;
  tr.append(st, cell(s.stats.frames), cell(`${Math.round(s.stats.bitrate_kbps)} kbps`), cell(s.viewers));
  const actions = document.createElement('td');
  const running = ['starting', 'active', 'reconnecting'].includes(s.state);
  const btn = document.createElement('button');
  btn.textContent = running ? 'Stop' : 'Start';
  btn.onclick = async () => {
    btn.disabled = true;
    try {
      await api('POST', `/streams/${encodeURIComponent(s.camera_id)}/${running ? 'stop' : 'start'}`);
      errorBox.hidden = true;
    } catch (e) {
      errorBox.textContent = e.message;
      errorBox.hidden = false;
    }
    refresh();
  };
  actions.append(btn);
  tr.append(actions);
  return tr;
}

async function refresh() {
  try {
    const [health, streams] = await Promise.all([api('GET', '/health'), api('GET', '/streams')]);
    const h = document.getElementById('health');
    // Only admins get the details of /health: count what this account sees.
    const active = streams.streams.filter((s) => ['starting', 'active', 'reconnecting'].includes(s.state)).length;
    const viewers = streams.streams.reduce((n, s) => n + (Number(s.viewers) || 0), 0);
    h.textContent = `${health.status} · ${active} active · ${viewers} viewers`;
    h.className = `pill ${health.status}`;
    tbody.replaceChildren(...streams.streams.map(row));
  } catch (e) {
    errorBox.textContent = `API unreachable: ${e.message}`;
    errorBox.hidden = false;
  }
}

showAccount(document.querySelector('header'));
refresh();
setInterval(refresh, 2000);
