// 预警 (舆情预警, issue 18 §1): the bursts the hourly job found, each with its terms, place, a
// small trend of its series and the cases behind it (each opening the case panel). Loaded on
// demand by the console when its 预警 tab is chosen.
import { h } from './dom.js';
import { badge } from './ui.js';
import { staffGet } from './staff-common.js';

const WINDOW_DAYS = 30;

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

/** The series' daily counts as bars: an image with its figures in its label. */
function trend(t) {
  const counts = (t && t.counts) || [];
  const max = Math.max(1, ...counts);
  const w = 4;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${counts.length * w} 24`);
  svg.setAttribute('class', 'hotspot-trend');
  svg.setAttribute('role', 'img');
  const last = counts.length ? counts[counts.length - 1] : 0;
  const before = counts.slice(0, -1);
  const mean = before.length ? before.reduce((a, b) => a + b, 0) / before.length : 0;
  svg.setAttribute('aria-label', `自 ${t ? t.from : ''} 起每日件数：此前日均 ${mean.toFixed(1)} 件，当日 ${last} 件`);
  counts.forEach((n, i) => {
    const bar = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
    const height = Math.max(n ? 1 : 0, Math.round((n / max) * 24));
    bar.setAttribute('x', String(i * w));
    bar.setAttribute('y', String(24 - height));
    bar.setAttribute('width', String(w - 1));
    bar.setAttribute('height', String(height));
    if (i === counts.length - 1) bar.setAttribute('class', 'hotspot-today');
    svg.append(bar);
  });
  return svg;
}

function warningItem(w, openCase) {
  const cases = h('ol', { class: 'hotspot-cases' }, w.cases.map((c) => {
    const a = h('a', { href: `staff.html?case=${encodeURIComponent(c.case_id)}` }, `${c.case_id} ${c.title}`);
    a.addEventListener('click', (e) => {
      if (e.metaKey || e.ctrlKey || e.shiftKey) return;
      e.preventDefault();
      openCase(c.case_id);
    });
    return h('li', null, a, c.cluster > 1 || w.cases.some((o) => o !== c && o.cluster === c.cluster) ? ` （相似组 ${c.cluster}）` : '');
  }));
  return h('li', { class: 'hotspot' },
    h('h2', { class: 'hotspot-title' }, w.terms.join(' / ')),
    h('p', { class: 'hotspot-place' },
      badge('舆情预警', 'attention'), ' ',
      `${w.day} · ${w.district_label} · ${w.category_label} · 当日 ${w.count} 件（此前日均 ${w.baseline} 件）`),
    trend(w.trend),
    h('details', null, h('summary', null, `相关诉求 ${w.cases.length} 件`), cases));
}

/** The last 30 days' warnings, one list item each (newest first). */
export async function hotspotItems({ openCase }) {
  const to = new Date();
  const from = new Date(to.getTime() - (WINDOW_DAYS - 1) * 86400000);
  const data = await staffGet('/api/staff/hotspots', { from: isoDay(from), to: isoDay(to) });
  return (data.items || []).map((w) => warningItem(w, openCase));
}
