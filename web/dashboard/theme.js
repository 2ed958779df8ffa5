// Light / dark: follows the system (prefers-color-scheme) unless the user picks one with the
// toggle; the choice is kept in localStorage and set as <html data-theme>.
const KEY = 'camrelay-theme';
const NEXT = { auto: 'light', light: 'dark', dark: 'auto' };

function apply(mode) {
  if (mode === 'light' || mode === 'dark') document.documentElement.dataset.theme = mode;
  else delete document.documentElement.dataset.theme;
}

export function initTheme(button) {
  let mode = 'auto';
  try { mode = localStorage.getItem(KEY) || 'auto'; } catch { /* storage off */ }
  if (!NEXT[mode]) mode = 'auto';
  const show = () => {
    apply(mode);
    button.textContent = `Theme: ${mode}`;
    button.setAttribute('aria-label', `Colour theme: ${mode} (change)`);
  };
  button.addEventListener('click', () => {
    mode = NEXT[mode];
    try { localStorage.setItem(KEY, mode); } catch { /* storage off */ }
    show();
  });
  show();
}
