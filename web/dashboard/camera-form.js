// Add / edit / delete cameras through the camera API (POST /cameras, GET/PUT/DELETE
// /cameras/{id}; docs/cameras.md). The body is one camera object in the configuration
// file's format. Cameras of the configuration file are read-only through the API: their
// form is shown disabled, with the reason. Passwords come back as "***"; sending "***"
// back keeps the stored one.
import { $, h, setText } from './dom.js';
import { get, post, put, api, enc } from './api.js';
import { toast, toastError } from './toast.js';

// Source keys the form edits, per source type (the rest of a camera's keys are kept as
// they are on an edit).
const SOURCE_FIELDS = [
  { key: 'pattern', label: 'Test pattern', types: ['test'], kind: 'text', list: 'patterns', placeholder: 'smpte' },
  { key: 'url', label: 'RTSP URL', types: ['rtsp'], kind: 'text', placeholder: 'rtsp://192.168.1.100:554/stream1', required: true },
  { key: 'username', label: 'User', types: ['rtsp'], kind: 'text', autocomplete: 'off' },
  { key: 'password', label: 'Password', types: ['rtsp'], kind: 'password', autocomplete: 'new-password' },
  { key: 'transport', label: 'Transport', types: ['rtsp'], kind: 'select', options: ['tcp', 'udp', 'auto'] },
  { key: 'latency_ms', label: 'Latency (ms)', types: ['rtsp'], kind: 'number', min: 0 },
  { key: 'device', label: 'Device', types: ['v4l2'], kind: 'text', placeholder: '/dev/video0', required: true },
  { key: 'negotiation', label: 'Negotiation', types: ['rtp'], kind: 'select', options: ['static', 'mqtt'] },
  { key: 'video_port', label: 'Video RTP port', types: ['rtp'], kind: 'number', min: 1, max: 65535 },
  { key: 'width', label: 'Width', types: ['test', 'v4l2'], kind: 'number', min: 16 },
  { key: 'height', label: 'Height', types: ['test', 'v4l2'], kind: 'number', min: 16 },
  { key: 'fps', label: 'Frame rate', types: ['test', 'v4l2'], kind: 'number', min: 1 },
  { key: 'bitrate_kbps', label: 'Bitrate (kbit/s)', types: ['test', 'v4l2'], kind: 'number', min: 1 },
  { key: 'keyframe_interval_s', label: 'Keyframe interval (s)', types: ['test', 'v4l2'], kind: 'number', min: 0.1, step: 0.1 },
];

function input(f) {
  const id = `cam-src-${f.key}`;
  let el;
  if (f.kind === 'select') {
    el = h('select', { id, name: f.key }, h('option', { value: '' }, '(default)'), ...f.options.map((o) => h('option', { value: o }, o)));
  } else {
    el = h('input', { id, name: f.key, type: f.kind, placeholder: f.placeholder, min: f.min, max: f.max,
      step: f.step || (f.kind === 'number' ? 'any' : undefined), autocomplete: f.autocomplete, list: f.list });
  }
  return { el, row: h('label', { class: 'field', dataset: { types: f.types.join(' ') } }, h('span', {}, f.label), el) };
}

export class CameraForm {
  // onChanged(): after a successful add / edit / delete.
  constructor({ onChanged }) {
    this.onChanged = onChanged;
    this.dialog = $('#camera-dialog');
    this.form = $('#camera-form');
    this.note = $('#camera-note');
    this.errorEl = $('#camera-error');
    this.deleteBtn = $('#camera-delete');
    this.saveBtn = $('#camera-save');
    this.type = $('#cam-type');
    this.original = null;   // the camera object being edited (GET /cameras/{id}), or null when adding
    this.inputs = new Map();
    const box = $('#camera-source-fields');
    box.append(h('datalist', { id: 'patterns' }, ...['smpte', 'ball', 'snow', 'black', 'white', 'red', 'green', 'blue', 'checkers-8', 'circular', 'gradient', 'pinwheel', 'spokes', 'colors', 'smpte75', 'bar'].map((p) => h('option', { value: p }))));
    for (const f of SOURCE_FIELDS) {
      const { el, row } = input(f);
      this.inputs.set(f.key, { f, el, row });
      box.append(row);
    }
    this.type.addEventListener('change', () => this.showType());
    this.form.addEventListener('submit', (ev) => { ev.preventDefault(); this.save(); });
    $('#camera-cancel').addEventListener('click', () => this.dialog.close());
    this.deleteBtn.addEventListener('click', () => this.remove());
  }

  showType() {
    const t = this.type.value;
    for (const { f, el, row } of this.inputs.values()) {
      const on = f.types.includes(t);
      row.hidden = !on;
      el.disabled = !on || this.readOnly;
      el.required = on && !!f.required && !(f.key === 'url' && this.original);
    }
  }

  showError(text) {
    this.errorEl.hidden = !text;
    setText(this.errorEl, text || '');
  }

  setReadOnly(ro) {
    this.readOnly = ro;
    for (const el of this.form.elements) {
      if (el.id === 'camera-cancel') continue;
      if (el.tagName !== 'FIELDSET') el.disabled = ro;
    }
    this.saveBtn.hidden = ro;
    $('#camera-delete-box').hidden = ro || !this.original;
  }

  async openAdd() {
    this.original = null;
    this.form.reset();
    setText($('#camera-dialog-title'), 'Add a camera');
    $('#cam-id').readOnly = false;
    this.type.value = 'test';
    $('#cam-auto').checked = true;
    $('#cam-audio').checked = true;
    this.note.hidden = true;
    this.showError('');
    this.setReadOnly(false);
    this.showType();
    this.dialog.showModal();
    $('#cam-id').focus();
  }

  async openEdit(id, origin) {
    let view;
    try {
      view = await get(`/cameras/${enc(id)}`);
    } catch (e) {
      toastError(e, `Camera ${id}: `);
      return;
    }
    const c = view.camera;
    this.original = c;
    this.form.reset();
    const ro = (view.origin || origin) === 'config';
    setText($('#camera-dialog-title'), ro ? `Camera ${c.id} (configuration file)` : `Edit camera ${c.id}`);
    $('#cam-id').value = c.id;
    $('#cam-id').readOnly = true;
    $('#cam-name').value = c.name || '';
    $('#cam-auto').checked = !!c.auto_start;
    $('#cam-audio').checked = c.audio !== false;
    this.type.value = c.source.type;
    $('#cam-record').value = (c.record && c.record.mode) || 'off';
    $('#cam-segment').value = c.record && c.record.segment_s ? c.record.segment_s : '';
    for (const { f, el } of this.inputs.values()) {
      const v = c.source[f.key];
      el.value = v === undefined || v === null ? '' : String(v);
    }
    this.note.hidden = !ro;
    setText(this.note, ro
      ? 'This camera comes from the configuration file: it is read-only here. Change it in the file and reload camrelay (SIGHUP).'
      : '');
    this.showError('');
    this.setReadOnly(ro);
    this.showType();
    this.dialog.showModal();
  }

  // The camera object from the form; on an edit, over the camera as the server showed it.
  body() {
    const o = this.original ? structuredClone(this.original) : {};
    o.id = $('#cam-id').value.trim();
    const name = $('#cam-name').value.trim();
    if (name) o.name = name; else delete o.name;
    o.auto_start = $('#cam-auto').checked;
    o.audio = $('#cam-audio').checked;
    const type = this.type.value;
    const src = this.original && this.original.source.type === type ? { ...this.original.source } : { type };
    for (const { f, el } of this.inputs.values()) {
      if (!f.types.includes(type)) continue;
      const v = el.value.trim();
      if (v === '') delete src[f.key];
      else src[f.key] = f.kind === 'number' ? Number(v) : v;
    }
    o.source = src;
    const mode = $('#cam-record').value;
    const seg = $('#cam-segment').value.trim();
    o.record = { ...(o.record || {}), mode };
    if (seg) o.record.segment_s = Number(seg); else delete o.record.segment_s;
    return o;
  }

  async save() {
    if (!this.form.reportValidity()) return;
    const body = this.body();
    this.saveBtn.disabled = true;
    try {
      const r = this.original ? await put(`/cameras/${enc(body.id)}`, body) : await post('/cameras', body);
      toast(`Camera ${r.id}: ${r.applied || 'saved'}`);
      this.dialog.close();
      this.onChanged();
    } catch (e) {
      this.showError(e.message);
    } finally {
      this.saveBtn.disabled = false;
    }
  }

  async remove() {
    const id = this.original && this.original.id;
    if (!id) return;
    const withRecordings = $('#cam-del-recordings').checked;
    if (!confirm(`Delete camera ${id}${withRecordings ? ' and all its recordings' : ''}?`)) return;
    try {
      await api('DELETE', `/cameras/${enc(id)}?recordings=${withRecordings ? 'delete' : 'keep'}`);
      toast(`Camera ${id} deleted`);
      this.dialog.close();
      this.onChanged();
    } catch (e) {
      this.showError(e.message);
    }
  }
}
