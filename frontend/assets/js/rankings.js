// 亮晒比: the monthly public ranking of departments and counties (DESIGN.md §1, §9).
//
// The API arrives in a later issue. Expected answer of GET /api/rankings?month=YYYY-MM:
//   {
//     "month": "2026-10",
//     "departments": [{
//       "id": "…", "name": "市城市管理局",
//       "assigned": 132,                  // 办理量: cases assigned to the unit that month
//       "signed_on_time_rate": 0.97,      // 按时签收率, 0–1 (null: nothing to measure)
//       "replied_on_time_rate": 0.91,     // 按时答复率, 0–1
//       "closed_rate": 0.88,              // 办结率, 0–1
//       "satisfied_rate": 0.93,           // 满意率 (满意 + 基本满意), 0–1
//       "reopened_rate": 0.04,            // 重办率, 0–1, lower is better
//       "score": 91.6,                    // 综合得分, 0–100
//       "rank": 1,                        // null when sample_too_small
//       "sample_too_small": false         // 样本不足: shown, never ranked
//     }],
//     "counties": [ …same shape… ]
//   }
// Until then the route is missing (our 404, or the gateway's envelope-less 403) and the page
// says the month's ranking is not published yet and explains the method.
import { h, $, replace } from './dom.js';
import { get, routeMissing } from './api.js';
import { todayInShanghai } from './format.js';
import { field, loading, errorBox, alertBox, readQuery, writeQuery } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';
const HIGHLIGHT = 5;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const GROUPS = [['departments', '部门排名'], ['counties', '区县排名']];
const COLUMNS = [
  ['assigned', '办理量', (v) => (v === null || v === undefined ? '—' : String(v))],
  ['signed_on_time_rate', '按时签收率', pct],
  ['replied_on_time_rate', '按时答复率', pct],
  ['closed_rate', '办结率', pct],
  ['satisfied_rate', '满意率', pct],
  ['reopened_rate', '重办率', pct],
];
const METHOD = [
  ['办理量', '当月交办给该单位的诉求件数。'],
  ['按时签收率', '在签收时限内签收的比例。'],
  ['按时答复率', '在答复时限内（含批准的延期）答复的比例。'],
  ['办结率', '已办结诉求占交办诉求的比例。'],
  ['满意率', '留言人评价“满意”或“基本满意”的比例。'],
  ['重办率', '因办理不满意而重办的比例，越低越好。'],
];

const app = $('#app');
const result = h('div', { 'aria-live': 'polite' });
let input = null;
let sequence = 0;

function pct(v) {
  return typeof v === 'number' ? `${(v * 100).toFixed(1)}%` : '—';
}

function score(v) {
  return typeof v === 'number' ? v.toFixed(1) : '—';
}

function lastMonth() {
  const [y, m] = todayInShanghai().split('-').map(Number);
  const year = m === 1 ? y - 1 : y;
  const month = m === 1 ? 12 : m - 1;
  return `${year}-${String(month).padStart(2, '0')}`;
}

function monthLabel(value) {
  const [y, m] = value.split('-');
  return `${y}年${Number(m)}月`;
}


/** Ranked rows by rank, then 样本不足 rows; each tagged top / bottom for the colours. */
function ordered(rows) {
  const ranked = rows.filter((r) => !r.sample_too_small && typeof r.rank === 'number')
    .sort((a, b) => a.rank - b.rank);
  const unranked = rows.filter((r) => !ranked.includes(r));
  const tag = new Map();
  ranked.forEach((r, i) => {
    if (i < HIGHLIGHT) tag.set(r, 'top');
    else if (i >= ranked.length - HIGHLIGHT) tag.set(r, 'bottom');
  });
  return { ranked, unranked, tag };
}

function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Horizontal bars of the score: name above its bar, score at the bar's end. */
function chart(title, ranked, tag) {
  const width = 420;
  const row = 42;
  const labelW = 44;
  const barMax = width - labelW - 8;
  const height = ranked.length * row + 4;
  const max = Math.max(100, ...ranked.map((r) => Number(r.score) || 0));
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'rank-chart', role: 'img' });
  root.append(svg('title', null, `${title}：综合得分`));
  ranked.forEach((r, i) => {
    const y = i * row;
    const w = Math.max(2, ((Number(r.score) || 0) / max) * barMax);
    const kind = tag.get(r) || 'mid';
    root.append(
      svg('text', { x: 0, y: y + 14, class: 'rank-chart-name' }, `${r.rank}. ${r.name}`),
      svg('rect', { x: 0, y: y + 20, width: w.toFixed(1), height: 14, rx: 2, class: `rank-bar rank-bar-${kind}` }),
      svg('text', { x: (w + 6).toFixed(1), y: y + 32, class: 'rank-chart-score' }, score(r.score)));
  });
  return root;
}

function table(title, ranked, unranked, tag) {
  const head = h('tr', null, h('th', { scope: 'col' }, '名次'), h('th', { scope: 'col' }, '单位'),
    COLUMNS.map(([, label]) => h('th', { scope: 'col', class: 'num' }, label)),
    h('th', { scope: 'col', class: 'num' }, '综合得分'));
  const body = [...ranked, ...unranked].map((r) => {
    const kind = tag.get(r);
    return h('tr', { class: kind ? `rank-row-${kind}` : null },
      h('td', null, r.sample_too_small || typeof r.rank !== 'number' ? h('span', { class: 'badge' }, '样本不足') : String(r.rank)),
      h('th', { scope: 'row' }, r.name),
      COLUMNS.map(([key, , fmt]) => h('td', { class: 'num' }, fmt(r[key]))),
      h('td', { class: 'num' }, r.sample_too_small ? '—' : score(r.score)));
  });
  return h('div', { class: 'table-scroll' },
    h('table', { class: 'data-table rank-table' }, h('caption', { class: 'visually-hidden' }, title),
      h('thead', null, head), h('tbody', null, body)));
}

function groupSection(title, rows) {
  const { ranked, unranked, tag } = ordered(rows || []);
  if (!ranked.length && !unranked.length) {
    return h('section', { class: 'panel' }, h('h2', null, title), h('p', { class: 'muted' }, '本月没有数据。'));
  }
  return h('section', { class: 'panel' },
    h('h2', null, title),
    ranked.length ? chart(title, ranked, tag) : null,
    ranked.length ? h('p', { class: 'rank-legend muted' },
      h('span', { class: 'swatch swatch-top', 'aria-hidden': 'true' }), `前 ${HIGHLIGHT} 名  `,
      h('span', { class: 'swatch swatch-bottom', 'aria-hidden': 'true' }), `后 ${HIGHLIGHT} 名`) : null,
    table(title, ranked, unranked, tag),
    unranked.length ? h('p', { class: 'hint' }, '“样本不足”：当月办理量过少，列出数据但不参与排名。') : null);
}

function method() {
  return h('section', { class: 'panel' },
    h('h2', null, '排名方法'),
    h('dl', { class: 'facts' }, METHOD.map(([term, text]) => h('div', { class: 'fact' }, h('dt', null, term), h('dd', null, text)))),
    h('p', { class: 'hint' }, '各部门、各区县分组排名，每月公布前 5 名和后 5 名；办理量过少的单位标注“样本不足”，不参与排名。'));
}

async function load() {
  const month = input.value;
  const mine = ++sequence;
  if (!MONTH.test(month)) {
    replace(result, alertBox('请选择月份（格式：2026-10）。', 'error'));
    return;
  }
  replace(result, loading());
  try {
    const data = await get('/api/rankings', { query: { month } });
    if (mine !== sequence) return;
    replace(result,
      h('h2', { class: 'rank-month' }, `${monthLabel((data && data.month) || month)}排名`),
      GROUPS.map(([key, title]) => groupSection(title, data && data[key])),
      method());
  } catch (err) {
    if (mine !== sequence) return;
    replace(result, routeMissing(err)
      ? [alertBox(`${monthLabel(month)}的亮晒比排名尚未发布。`, 'info',
        h('p', null, '月度排名上线后，将在每月初公布上月各部门、各区县的办理情况，方法如下。')), method()]
      : errorBox(err, load));
  }
}

function init() {
  const fallback = lastMonth();
  const wanted = readQuery(['month']).month;
  input = h('input', { type: 'month', name: 'month', max: fallback, required: true, pattern: '\\d{4}-\\d{2}', placeholder: 'YYYY-MM' });
  input.value = MONTH.test(wanted) ? wanted : fallback;
  const form = h('form', { class: 'toolbar', role: 'search', 'aria-label': '选择月份' },
    field({ label: '月份', control: input, hint: '默认显示上个月的排名' }));
  form.addEventListener('change', () => {
    writeQuery({ month: input.value === fallback ? '' : input.value });
    load();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    load();
  });
  window.addEventListener('popstate', () => {
    const q = readQuery(['month']).month;
    input.value = MONTH.test(q) ? q : fallback;
    load();
  });
  replace(app, form, result);
  load();
}

init();
