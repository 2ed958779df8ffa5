// The dashboard at /: polls GET /streams, renders the camera grid, and wires the player,
// the camera forms, the recordings list, toasts and the theme toggle together.
// window.camrelayDashboard exposes the state for tests and debugging.
import { showAccount } from '../auth.js';
import { $, setText } from './dom.js';
import { get } from './api.js';
import { toastError } from './toast.js';
import { initTheme } from './theme.js';
import { Grid } from './tiles.js';
import { Player } from './player.js';
import { CameraForm } from './camera-form.js';
import { Recordings } from './recordings.js';

const POLL_MS = 2000;
const state = { streams: [], cameras: [], me: null, polls: 0, lastError: null };
window.camrelayDashboard = Object.assign(window.camrelayDashboard || {}, { state });

const isAdmin = () => !state.me || state.me.auth_disabled || state.me.role === 'admin';
const streamOf = (id) => state.streams.find((s) => s.camera_id === id);

const player = new Player({ streamOf, isAdmin, onClose: () => {} });
const recordings = new Recordings({ isAdmin });
const cameraForm = new CameraForm({ onChanged: () => { loadCameras(); refresh(); } });
const grid = new Grid($('#grid'), {
  isAdmin,
  playerOpen: () => player.isOpen,
  onOpen: (id) => {
    grid.stopLive();
    player.open(id);
  },
  onEdit: (id) => {
    const c = state.cameras.find((x) => x.id === id);
    cameraForm.openEdit(id, c && c.origin);
  },
  onRecordingChanged: () => setTimeout(() => recordings.load(), 1500),
  refresh: () => refresh(),
});

let recordingSet = '';
async function refresh() {
  try {
    const [health, list] = await Promise.all([get('/health'), get('/streams')]);
    state.streams = list.streams;
    state.polls += 1;
    state.lastError = null;
    const running = list.streams.filter((s) => ['starting', 'active', 'reconnecting'].includes(s.state)).length;
    const viewers = list.streams.reduce((n, s) => n + (Number(s.viewers) || 0), 0);
    const pill = $('#health');
    setText(pill, `${health.status} · ${running}/${list.streams.length} running · ${viewers} viewer${viewers === 1 ? '' : 's'}`);
    pill.className = `pill ${health.status}`;
    grid.render(list.streams);
    // A recording started or ended somewhere: the list changes.
    const now = list.streams.filter((s) => s.recording && s.recording.state !== 'off').map((s) => s.camera_id).join(',');
    if (now !== recordingSet) {
      recordingSet = now;
      setTimeout(() => recordings.load(), 1500);
    }
    if (list.streams.some((s) => !state.cameras.some((c) => c.id === s.camera_id))) loadCameras();
  } catch (e) {
    state.lastError = e.message;
    if (e.status !== 401) toastError(e, 'Cannot reach camrelay: ');
  }
}

async function loadCameras() {
  try {
    const body = await get('/cameras');
    state.cameras = body.cameras;
    recordings.setCameras(body.cameras);
    for (const s of body.skipped || []) toastError(new Error(`camera ${s.id} is not run: ${s.reason}`));
  } catch (e) {
    toastError(e, 'Cameras: ');
  }
}

initTheme($('#theme'));
$('#add-camera').addEventListener('click', () => cameraForm.openAdd());
state.me = await showAccount($('#account'));
$('#add-camera').hidden = !isAdmin();
await loadCameras();
await refresh();
recordings.load();
setInterval(refresh, POLL_MS);
document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
