// A small live line chart as inline SVG (no library): keeps the last `size` samples.
const NS = 'http://www.w3.org/2000/svg';

export class Sparkline {
  constructor(label, size = 40) {
    this.size = size;
    this.values = [];
    this.svg = document.createElementNS(NS, 'svg');
    this.svg.setAttribute('viewBox', `0 0 ${size - 1} 20`);
    this.svg.setAttribute('preserveAspectRatio', 'none');
    this.svg.setAttribute('class', 'sparkline');
    this.svg.setAttribute('role', 'img');
    this.svg.setAttribute('aria-label', label);
    this.area = document.createElementNS(NS, 'polygon');
    this.area.setAttribute('class', 'spark-area');
    this.line = document.createElementNS(NS, 'polyline');
    this.line.setAttribute('class', 'spark-line');
    this.line.setAttribute('vector-effect', 'non-scaling-stroke');
    this.svg.append(this.area, this.line);
  }

  push(v) {
    this.values.push(Number.isFinite(v) ? v : 0);
    if (this.values.length > this.size) this.values.shift();
    const max = Math.max(1e-9, ...this.values);
    const off = this.size - this.values.length;
    const pts = this.values.map((x, i) => `${i + off},${(19 - (x / max) * 18).toFixed(2)}`);
    this.line.setAttribute('points', pts.join(' '));
    this.area.setAttribute('points', `${off},20 ${pts.join(' ')} ${this.size - 1},20`);
  }
}
