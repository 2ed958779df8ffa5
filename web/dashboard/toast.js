// Toasts: short messages in the corner, announced to screen readers (errors as alerts).
// An identical message already showing is not repeated (a poll failing every 2 s).
import { h } from './dom.js';

let box = null;
function container() {
  if (!box) {
    box = h('div', { id: 'toasts', class: 'toasts', 'aria-live': 'polite' });
    // A popover sits in the top layer: toasts show above an open modal dialog too.
    if ('popover' in box) box.popover = 'manual';
    document.body.append(box);
  }
  if (box.showPopover) {
    try {
      if (box.matches(':popover-open')) box.hidePopover();
      box.showPopover();  // (again) the top of the top layer, above a dialog opened since
    } catch { /* not in the document */ }
  }
  return box;
}

export function toast(message, { kind = 'info', timeoutMs = kind === 'error' ? 8000 : 4000 } = {}) {
  const c = container();
  for (const t of c.children) {
    if (t.dataset.message === message) return t;
  }
  const close = h('button', { class: 'toast-close', type: 'button', 'aria-label': 'Dismiss' }, '×');
  const t = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status', dataset: { message } },
    h('span', { class: 'toast-text' }, message), close);
  const remove = () => t.remove();
  close.addEventListener('click', remove);
  if (timeoutMs > 0) setTimeout(remove, timeoutMs);
  c.append(t);
  return t;
}

export const toastError = (e, prefix = '') =>
  toast(`${prefix}${e && e.message ? e.message : String(e)}`, { kind: 'error' });
