// 领导驾驶舱 (§16): GET /api/staff/dashboard drawn as SVG by this page (no chart library),
// each chart with its table below it (caption, the same figures), a choropleth of the
// districts' intake (the districts' boundaries of GET /api/geo/districts), overdue cases by
// unit and the hotspots. Every figure opens the cases behind it: the figure's link lists them
// in the panel at the foot of the page (GET /api/staff/dashboard/cases). Printable on A4.
import { h, replace, uid } from './dom.js';
import { staffSession } from './api.js';
import { alertBox, errorBox, field, loading, readQuery, writeQuery, select, stateBadge } from './ui.js';
import { app, staffGet, sessionLost, signIn } from './staff-common.js';
import { staffBar, signOutButton } from './signin.js';
import { loadDistricts, projection, polygonsOf } from './map.js';
import { formatDateTime } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const READERS = new Set(['coordinator', 'county_coordinator', 'admin', 'leader']);
const RATES = [
  ['on_time_rate', '按时答复率', 'replied', 'replied_on_time'],
  ['resolution_rate', '解决率', 'closed', 'closed_resolved'],
  ['satisfaction_rate', '满意率', 'closed', 'closed_satisfied'],
];
const TOTALS = ['intake', 'replied', 'replied_late', 'closed', 'closed_unsatisfied', 'reopened'];

let me = null;
let casesPanel = null;

function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const pct = (v) => (v === null || v === undefined ? '—' : `${Math.round(v * 1000) / 10}%`);
const shortDay = (d) => d.slice(5);

/** A chart as an image with its text alternative; the table below carries the figures. */
function chartSvg(width, height, label, ...children) {
  const titleId = uid('chart');
  return s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart-svg', role: 'img', 'aria-labelledby': titleId },
    s('title', { id: titleId }, label), ...children);
}

/** A figure's link: lists the cases behind it in the panel below. */
function opener(label, path, title) {
  return h('button', {
    type: 'button', class: 'link-button figure-link', 'data-cases': path,
    onclick: () => showCases(path, title),
  }, label);
}

function figureSection(id, title, chart, table, note = null) {
  return h('section', { class: 'panel dash-figure', 'aria-labelledby': id },
    h('h2', { id }, title), note ? h('p', { class: 'hint' }, note) : null, chart, table);
}

function table(caption, head, rows) {
  // A wide table scrolls inside its own box, which the keyboard can reach and scroll.
  return h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': caption },
    h('table', { class: 'data-table chart-table' },
      h('caption', null, caption),
      h('thead', null, h('tr', null, head.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, rows.map((cells) => h('tr', null, cells.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', null, c))))))));
}

/** Columns per period: intake (bars). */
function intakeChart(periods, key) {
  const w = 640;
  const hgt = 200;
  const max = Math.max(1, ...periods.map((p) => p.counts.intake || 0));
  const bw = (w - 40) / Math.max(periods.length, 1);
  const bars = periods.map((p, i) => {
    const n = p.counts.intake || 0;
    const bh = ((hgt - 30) * n) / max;
    return s('rect', { x: 30 + i * bw + 1, y: hgt - 20 - bh, width: Math.max(bw - 2, 1), height: bh, class: 'bar' });
  });
  const axis = [
    s('line', { x1: 30, y1: hgt - 20, x2: w - 10, y2: hgt - 20, class: 'axis' }),
    s('text', { x: 26, y: 14, class: 'tick', 'text-anchor': 'end' }, max),
    s('text', { x: 26, y: hgt - 20, class: 'tick', 'text-anchor': 'end' }, 0),
    s('text', { x: 30, y: hgt - 4, class: 'tick' }, shortDay(periods[0][key])),
    s('text', { x: w - 10, y: hgt - 4, class: 'tick', 'text-anchor': 'end' }, shortDay(periods[periods.length - 1][key])),
  ];
  return chartSvg(w, hgt, `受理量走势（${periods.length} 个${key === 'day' ? '日' : '周'}，最高 ${max} 件）`, ...axis, ...bars);
}

/** Lines per period: the three rates (0–100 %). */
function ratesChart(periods, key) {
  const w = 640;
  const hgt = 200;
  const step = (w - 50) / Math.max(periods.length - 1, 1);
  const y = (v) => 10 + (hgt - 40) * (1 - v);
  const lines = RATES.map(([name], k) => {
    let d = '';
    periods.forEach((p, i) => {
      const v = p.rates[name];
      if (v === null || v === undefined) return;
      d += `${d ? 'L' : 'M'}${(40 + i * step).toFixed(1)},${y(v).toFixed(1)}`;
    });
    return d ? s('path', { d, class: `rate-line rate-${k}` }) : null;
  });
  const axis = [
    s('line', { x1: 40, y1: y(0), x2: w - 10, y2: y(0), class: 'axis' }),
    s('text', { x: 36, y: y(1) + 4, class: 'tick', 'text-anchor': 'end' }, '100%'),
    s('text', { x: 36, y: y(0) + 4, class: 'tick', 'text-anchor': 'end' }, '0'),
    s('text', { x: 40, y: hgt - 6, class: 'tick' }, shortDay(periods[0][key])),
    s('text', { x: w - 10, y: hgt - 6, class: 'tick', 'text-anchor': 'end' }, shortDay(periods[periods.length - 1][key])),
  ];
  return chartSvg(w, hgt, '按时答复率、解决率、满意率走势', ...axis, ...lines);
}

/** Horizontal bars: a breakdown (channel, kind, category). */
function barsChart(items, label) {
  const w = 640;
  const row = 26;
  const hgt = items.length * row + 8;
  const max = Math.max(1, ...items.map((i) => i.n));
  const parts = items.flatMap((item, i) => [
    s('text', { x: 110, y: i * row + 18, class: 'tick', 'text-anchor': 'end' }, item.label),
    s('rect', { x: 118, y: i * row + 5, width: ((w - 170) * item.n) / max, height: row - 10, class: 'bar' }),
    s('text', { x: 122 + ((w - 170) * item.n) / max, y: i * row + 18, class: 'tick' }, item.n),
  ]);
  return chartSvg(w, hgt, label, ...parts);
}

function breakdown(id, title, items) {
  return figureSection(id, title, barsChart(items, title),
    table(`${title}（件）`, ['类别', '受理量', '诉求'], items.map((i) => [i.label, String(i.n), i.n ? opener('查看', i.cases, `${title}：${i.label}`) : '—'])));
}

async function choropleth(data) {
  const id = uid('sec');
  const items = data.intake.district;
  const rows = table('各区域受理量（件）', ['区域', '受理量', '诉求'],
    items.map((i) => [i.label, String(i.n), i.n ? opener('查看', i.cases, `区域受理：${i.label}`) : '—']));
  const holder = h('div', { class: 'choropleth' });
  const section = figureSection(id, '区域分布', holder, rows, '颜色越深，受理量越多。');
  const fc = await loadDistricts();
  if (!fc) {
    replace(holder, h('p', { class: 'hint' }, '本市尚未配置区域边界，区域分布见下表。'));
    return section;
  }
  const byCode = new Map(items.map((i) => [i.code, i]));
  const max = Math.max(1, ...items.map((i) => i.n));
  const proj = projection(fc);
  const shapes = [];
  for (const feature of fc.features) {
    const polygons = polygonsOf(feature);
    const code = feature.properties && feature.properties.code;
    if (!polygons) continue;
    const item = byCode.get(code);
    const shade = item ? Math.min(5, Math.ceil((5 * item.n) / max)) : 0;
    const d = polygons.map((rings) => rings.map((ring) => `M${ring.map(([lng, lat]) => proj.project(lng, lat).map((n) => n.toFixed(1)).join(',')).join('L')}Z`).join('')).join('');
    const name = (item && item.label) || (feature.properties && feature.properties.name) || code;
    shapes.push(s('path', { d, class: `district shade-${shade}` }, s('title', null, `${name}：${item ? item.n : 0} 件`)));
  }
  replace(holder, chartSvg(proj.width, Math.max(proj.height, 1), '各区域受理量分布图', ...shapes));
  return section;
}

function periodTable(periods, key, unit) {
  return table(`每${unit}受理量与比率`, [unit === '日' ? '日期' : '周（周一）', '受理', '答复', '办结', '重办', ...RATES.map((r) => r[1])],
    periods.map((p) => [p[key], String(p.counts.intake || 0), String(p.counts.replied || 0), String(p.counts.closed || 0), String(p.counts.reopened || 0), ...RATES.map((r) => pct(p.rates[r[0]]))]));
}

function totalsSection(data) {
  const labels = data.series_labels;
  const tiles = TOTALS.map((name) => h('div', { class: 'stat' },
    h('span', { class: 'stat-label' }, labels[name] || name),
    h('span', { class: 'stat-value' }, String(data.totals.counts[name] || 0)),
    data.totals.counts[name] ? opener('查看诉求', data.totals.cases[name], `${labels[name] || name}（${data.from} 至 ${data.to}）`) : null));
  const rates = RATES.map(([name, label]) => h('div', { class: 'stat' },
    h('span', { class: 'stat-label' }, label), h('span', { class: 'stat-value' }, pct(data.totals.rates[name]))));
  return h('section', { class: 'panel', 'aria-labelledby': 'dash-totals' },
    h('h2', { id: 'dash-totals' }, `合计（${data.from} 至 ${data.to}）`),
    h('div', { class: 'stats' }, tiles, rates));
}

function overdueSection(data) {
  const units = data.overdue.units;
  const body = units.length
    ? table('各单位超期件（黄牌、红牌）', ['承办单位', '黄牌', '红牌'], units.map((u) => [u.name,
      u.yellow ? opener(String(u.yellow), u.cases.yellow, `${u.name}：黄牌督办`) : '0',
      u.red ? opener(String(u.red), u.cases.red, `${u.name}：红牌督办`) : '0']))
    : alertBox('目前没有超期件。', 'info');
  return h('section', { class: 'panel dash-figure', 'aria-labelledby': 'dash-overdue' },
    h('h2', { id: 'dash-overdue' }, '超期件（按单位）'),
    data.overdue.truncated ? h('p', { class: 'hint' }, '超期件过多，仅统计前 2000 件。') : null, body);
}

function hotspotsSection(data) {
  const items = data.hotspots || [];
  return h('section', { class: 'panel', 'aria-labelledby': 'dash-hot' },
    h('h2', { id: 'dash-hot' }, '舆情热点'),
    items.length
      ? h('ul', { class: 'hotspots' }, items.map((x) => h('li', null, [].concat(x.terms || []).join('、') || x.label || '', x.district_label ? `（${x.district_label}）` : '')))
      : h('p', { class: 'hint' }, '目前没有舆情预警。'));
}

async function showCases(path, title) {
  const list = h('div', { 'aria-live': 'polite' }, loading());
  replace(casesPanel, h('h2', { id: 'dash-cases', tabindex: '-1' }, `诉求：${title}`), list);
  casesPanel.hidden = false;
  casesPanel.querySelector('h2').focus();
  let cursor = null;
  const ul = h('ul', { class: 'case-list dash-cases' });
  const more = h('button', { type: 'button', class: 'btn btn-secondary btn-small', hidden: true });
  more.textContent = '加载更多';
  async function page() {
    try {
      const sep = path.includes('?') ? '&' : '?';
      const data = await staffGet(cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path);
      for (const c of data.items) {
        const name = me.role === 'leader' ? h('span', null, c.title || c.case_id) : h('a', { href: `staff.html?case=${encodeURIComponent(c.case_id)}` }, c.title || c.case_id);
        ul.append(h('li', { class: 'case-item' }, name, ' ', stateBadge(c.state, c.state_label), ' ',
          h('span', { class: 'hint' }, `${c.case_id} · ${c.district_label || ''} · ${formatDateTime(c.created_at)}`)));
      }
      cursor = data.next_cursor;
      more.hidden = !cursor;
      replace(list, ul.children.length ? ul : alertBox('没有诉求。', 'info'), more);
    } catch (err) {
      if (!sessionLost(err)) replace(list, errorBox(err, page));
    }
  }
  more.addEventListener('click', page);
  await page();
}

async function render(container, filters) {
  replace(container, loading());
  let data;
  try {
    data = await staffGet('/api/staff/dashboard', filters);
  } catch (err) {
    if (!sessionLost(err)) replace(container, errorBox(err, () => render(container, filters)));
    return null;
  }
  const weekly = data.granularity === 'week';
  const periods = weekly ? data.weeks : data.days;
  const key = weekly ? 'week' : 'day';
  const unit = weekly ? '周' : '日';
  casesPanel = h('section', { class: 'panel dash-cases-panel', 'aria-labelledby': 'dash-cases', hidden: true });
  replace(container,
    totalsSection(data),
    figureSection('dash-intake', `受理量（按${unit}）`, intakeChart(periods, key), periodTable(periods, key, unit)),
    figureSection('dash-rates', '按时答复率、解决率、满意率', h('div', null, ratesChart(periods, key),
      h('ul', { class: 'legend' }, RATES.map(([, label], k) => h('li', null, h('span', { class: `swatch rate-${k}`, 'aria-hidden': 'true' }), label)))), null),
    await choropleth(data),
    breakdown('dash-channel', '受理渠道', data.intake.channel),
    breakdown('dash-kind', '诉求类型', data.intake.kind),
    breakdown('dash-category', '诉求分类', data.intake.category),
    overdueSection(data),
    hotspotsSection(data),
    casesPanel);
  return data;
}

function page() {
  const q = readQuery(['from', 'to', 'district']);
  const from = h('input', { type: 'date', name: 'from', value: q.from });
  const to = h('input', { type: 'date', name: 'to', value: q.to });
  const district = select('district', [], { placeholder: '全部区域', value: q.district });
  const results = h('div', { class: 'dash-results' });
  const form = h('form', { class: 'filters dash-filters', 'aria-label': '统计范围' },
    field({ label: '开始日期', control: from }),
    field({ label: '结束日期', control: to }),
    field({ label: '区域', control: district }),
    h('button', { type: 'submit', class: 'btn btn-primary' }, '查看'),
    h('button', { type: 'button', class: 'btn btn-secondary no-print', onclick: () => window.print() }, '打印'));
  let wanted = q.district; // the URL's district, until its option exists
  async function load() {
    const filters = { from: from.value, to: to.value, district: district.value || wanted };
    wanted = '';
    writeQuery(filters, { push: false });
    const data = await render(results, filters);
    const known = new Set([...district.options].map((o) => o.value));
    for (const d of (data ? data.districts : [])) {
      if (!known.has(d.code)) district.append(h('option', { value: d.code }, d.label));
    }
    district.value = filters.district;
  }
  form.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  const bar = staffBar(me,
    me.role === 'leader' ? null : h('a', { href: 'staff.html', class: 'btn btn-secondary btn-small' }, '返回工作台'),
    signOutButton(() => signIn('您已退出登录。')));
  replace(app, bar, h('h1', null, '领导驾驶舱'), form, results);
  load();
}

async function start() {
  const session = staffSession();
  if (!session || !session.session_token) {
    signIn('领导驾驶舱只对工作人员开放，请先登录。');
    return;
  }
  replace(app, loading());
  try {
    me = { ...session, ...(await staffGet('/api/staff/me')) };
  } catch (err) {
    if (!sessionLost(err)) replace(app, errorBox(err, start));
    return;
  }
  if (!READERS.has(me.role)) {
    replace(app, h('h1', null, '领导驾驶舱'), alertBox('当前账号无权查看领导驾驶舱。', 'info', h('a', { href: 'staff.html' }, '返回工作台')));
    return;
  }
  page();
}

start();
