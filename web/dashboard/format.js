// Numbers for people.
export function kbps(v) {
  const n = Number(v) || 0;
  return n >= 1000 ? `${(n / 1000).toFixed(n >= 10000 ? 0 : 1)} Mbit/s` : `${Math.round(n)} kbit/s`;
}

export function fps(v) {
  const n = Number(v) || 0;
  return `${n >= 10 ? Math.round(n) : n.toFixed(1)} fps`;
}

export function bytes(v) {
  let n = Number(v) || 0;
  for (const unit of ['B', 'KB', 'MB', 'GB']) {
    if (n < 1024 || unit === 'GB') return `${unit === 'B' ? n : n.toFixed(1)} ${unit}`;
    n /= 1024;
  }
  return `${n} B`;
}

export function duration(s) {
  const t = Math.max(0, Math.round(Number(s) || 0));
  const hh = Math.floor(t / 3600), mm = Math.floor((t % 3600) / 60), ss = t % 60;
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')}` : `${mm}:${String(ss).padStart(2, '0')}`;
}

export function dateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}
