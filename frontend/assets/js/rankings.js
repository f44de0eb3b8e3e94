// 亮晒比: the monthly public ranking of departments and counties (DESIGN.md §1, §9), from
// GET /api/rankings?month=YYYY-MM (functions/domain/rankings.py has the method):
//   { month, frozen, frozen_at, month_to_date,
//     method: { weights: {response, resolution, satisfaction}, min_sample, named: {departments, counties} },
//     departments: [{ id, name, assigned, …counts, signed_on_time_rate, replied_on_time_rate,
//                     closed_rate, satisfied_rate, reopened_rate, returned_rate (0–1 or null),
//                     average_reply_days, score, rank (null: 样本不足), sample_too_small,
//                     position: 'top'|'bottom'|null, talk (约谈), rank_change, score_change }],
//     counties: [ …same shape… ], platforms: [{ id, name }],
//     talks: [{ id, unit: {id, name}, held_on, reasons, rectify_by, status, status_label,
//               rectification: {text, reported_at, late} | null }]  (约谈 records, §16),
//     bulletin: true once the month's 通报 exists (bulletin.html, …/bulletin.docx) }
// With ?county=<platform id> (GET /api/rankings?county=…): that county platform's own ranking,
//   { …the same head…, county: { id, name }, units: [ …rows of its units… ], platforms }
import { h, $, replace } from './dom.js';
import { get, staffSession } from './api.js';
import { caseCard } from './caseview.js';
import { todayInShanghai, formatDate } from './format.js';
import { field, loading, errorBox, alertBox, readQuery, writeQuery } from './ui.js';
import { lifecycle } from './lifecycle.js';

const SVG = 'http://www.w3.org/2000/svg';
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const GROUPS = [['departments', '市直部门排名'], ['counties', '区县排名']];
// [field, heading, format, drill-down metric, what the drill-down lists]
const COLUMNS = [
  ['assigned', '办理量', (v) => (v === null || v === undefined ? '—' : String(v)), 'assigned', '交办的诉求'],
  ['signed_on_time_rate', '按时签收率', pct, 'signed_late', '超时签收的诉求'],
  ['replied_on_time_rate', '按时答复率', pct, 'replied_late', '超时答复的诉求'],
  ['closed_rate', '办结率', pct, 'not_closed', '未办结的诉求'],
  ['satisfied_rate', '满意率', pct, 'unsatisfied', '评价不满意的诉求'],
  ['reopened_rate', '重办率', pct, 'reopened', '重办的诉求'],
  ['returned_rate', '退回率', pct, 'returned', '退回改派的诉求'],
  ['average_reply_days', '平均答复用时', (v) => (typeof v === 'number' ? `${v.toFixed(1)} 天` : '—')],
];
const METHOD = [
  ['办理量', '当月交办给该单位的诉求件数；区县为辖区内各单位之和。'],
  ['按时签收率', '在签收时限内签收的比例。'],
  ['按时答复率', '在答复时限内（含批准的延期）答复的比例。'],
  ['办结率', '已办结诉求占交办诉求的比例。'],
  ['满意率', '留言人评价“满意”或“基本满意”的比例。'],
  ['重办率', '答复后因留言人不满意而重办的比例，越低越好。'],
  ['退回率', '申请退回并经总平台改派的比例，越低越好。'],
  ['平均答复用时', '从交办（或重办）到答复的平均工作日数。'],
];

const app = $('#app');
const result = h('div', { 'aria-live': 'polite' });
const drillPanel = h('section', { class: 'panel drill', tabindex: '-1', hidden: true, 'aria-label': '数据对应的诉求' });
let input = null;
let countyInput = null;
let countiesFilled = false;
let sequence = 0;
let recordable = new Set(); // flagged units a signed-in coordinator may record a 约谈 for

/** A coordinator's (or admin's) staff session in this tab: the 记录约谈 form is theirs. */
function recorder() {
  const session = staffSession();
  return session && ['coordinator', 'admin'].includes(session.role);
}

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


/** Ranked rows by rank, then 样本不足 rows; each tagged top / bottom as the API names them. */
function ordered(rows) {
  const ranked = rows.filter((r) => !r.sample_too_small && typeof r.rank === 'number')
    .sort((a, b) => a.rank - b.rank);
  const unranked = rows.filter((r) => !ranked.includes(r));
  const tag = new Map();
  ranked.forEach((r) => {
    if (r.position === 'top' || r.position === 'bottom') tag.set(r, r.position);
  });
  return { ranked, unranked, tag };
}

function change(r) {
  if (typeof r.rank_change !== 'number' || r.rank_change === 0) return typeof r.rank_change === 'number' ? '持平' : '—';
  return r.rank_change > 0 ? `上升 ${r.rank_change} 位` : `下降 ${-r.rank_change} 位`;
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

/** A link to a county's own page (its units ranked), for a county row that has a platform. */
function countyLink(r, platforms, month) {
  if (!platforms.has(r.id)) return null;
  const q = new URLSearchParams({ month, county: r.id });
  return h('a', { class: 'rank-county-link', href: `rankings.html?${q}`, 'aria-label': `查看${r.name}各单位排名` }, '各单位排名');
}

function table(title, ranked, unranked, tag, platforms = new Map(), month = '') {
  const head = h('tr', null, h('th', { scope: 'col' }, '名次'), h('th', { scope: 'col' }, '单位'),
    COLUMNS.map(([, label]) => h('th', { scope: 'col', class: 'num' }, label)),
    h('th', { scope: 'col', class: 'num' }, '综合得分'),
    h('th', { scope: 'col', class: 'num' }, '较上月'));
  const body = [...ranked, ...unranked].map((r) => {
    const kind = tag.get(r);
    return h('tr', { class: kind ? `rank-row-${kind}` : null },
      h('td', null, r.platform ? h('span', { class: 'badge' }, '不排名')
        : r.sample_too_small || typeof r.rank !== 'number' ? h('span', { class: 'badge' }, '样本不足') : String(r.rank)),
      h('th', { scope: 'row' }, r.name, r.talk ? h('span', { class: 'badge badge-talk' }, '约谈') : null,
        r.talk && recordable.has(r.id) ? h('a', { class: 'rank-county-link', href: '#talk-form', 'aria-label': `记录约谈：${r.name}` }, '记录约谈') : null,
        countyLink(r, platforms, month)),
      COLUMNS.map(([key, label, fmt, metric, what]) => h('td', { class: 'num', 'data-label': label },
        metric && !r.platform && r.assigned > 0 && r[key] !== null && r[key] !== undefined
          ? h('button', { type: 'button', class: 'btn-link drill-link', 'aria-label': `${fmt(r[key])}，查看${r.name}${what}`, onclick: () => drill(r, metric, what) }, fmt(r[key]))
          : fmt(r[key]))),
      h('td', { class: 'num rank-score', 'data-label': '综合得分' }, r.sample_too_small ? '—' : score(r.score)),
      h('td', { class: 'num', 'data-label': '较上月' }, r.sample_too_small ? '—' : change(r)));
  });
  return h('div', { class: 'table-scroll' },
    h('table', { class: 'data-table rank-table' }, h('caption', { class: 'visually-hidden' }, title),
      h('thead', null, head), h('tbody', null, body)));
}

function groupSection(key, title, rows, named, platforms = new Map(), month = '') {
  const { ranked, unranked, tag } = ordered(rows || []);
  if (!(rows || []).some((r) => r.assigned > 0)) {
    return h('section', { class: 'panel' }, h('h2', null, title), h('p', { class: 'muted' }, '本月没有交办数据。'));
  }
  return h('section', { class: 'panel' },
    h('h2', null, title),
    ranked.length ? chart(title, ranked, tag) : null,
    ranked.length ? h('p', { class: 'rank-legend muted' },
      h('span', { class: 'swatch swatch-top', 'aria-hidden': 'true' }), `前 ${named} 名  `,
      h('span', { class: 'swatch swatch-bottom', 'aria-hidden': 'true' }), `后 ${named} 名`) : null,
    table(title, ranked, unranked, tag, platforms, month),
    unranked.length ? h('p', { class: 'hint' }, '“样本不足”：当月办理量过少，列出数据但不参与排名。') : null,
    ranked.some((r) => r.talk) ? h('p', { class: 'hint' }, `“约谈”：连续两个月排在后 3 名，由${key === 'units' ? '区县平台' : '总平台'}约谈。`) : null);
}

// 直接答复 (§16): each platform's own line for the 咨询 it answered from the 知识库, apart from
// the units and never ranked against them.
function directSection(rows) {
  if (!rows || !rows.length) return null;
  return h('section', { class: 'panel' },
    h('h2', null, '平台直接答复'),
    h('p', { class: 'hint' }, '平台依据知识库直接答复、未交办承办单位的咨询件，单独列出，不参与排名。'),
    table('平台直接答复', [], rows, new Map()));
}

function method(m, county) {
  const { weights: w, min_sample: sample } = m;
  return h('section', { class: 'panel' },
    h('h2', null, '排名方法'),
    h('p', null, '每个单位当月的数据，是当月交办给该单位的诉求在此后的全部办理情况（签收、答复、评价、重办、办结、退回）。'),
    h('dl', { class: 'facts' }, METHOD.map(([term, text]) => h('div', { class: 'fact' }, h('dt', null, term), h('dd', null, text)))),
    h('p', null, `综合得分（满分 100）= 响应 ${w.response}%（按时签收率与按时答复率的平均）+ 解决 ${w.resolution}%（办结率 ×（1 − 重办率））+ 满意 ${w.satisfaction}%（满意率）；某项暂无数据时按其余各项折算。`),
    h('p', { class: 'hint' }, county
      ? `${county.name}所属各承办单位（部门、乡镇街道、企业）按同一方法排名，公布前 3 名和后 3 名；当月交办不足 ${sample} 件的单位标注“样本不足”，列出数据但不参与排名；连续两个月排在后 3 名的单位由区县平台约谈。每月 1 日与全市排名一同发布上月排名，本月数据为截至目前的实时数据。`
      : `市直部门公布前 5 名和后 5 名，区县（辖区内各单位合计）公布前 3 名和后 3 名；当月交办不足 ${sample} 件的单位标注“样本不足”，列出数据但不参与排名；连续两个月排在后 3 名的单位由总平台约谈。每月 1 日发布上月排名，本月数据为截至目前的实时数据。`));
}

/** The cases behind one figure, listed above the tables. */
async function drill(row, metric, what) {
  const month = input.value;
  const close = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, '关闭');
  close.addEventListener('click', () => { drillPanel.hidden = true; });
  const list = h('div', { class: 'cards' }, loading());
  replace(drillPanel, h('div', { class: 'drill-head' }, h('h2', null, `${row.name} · ${monthLabel(month)} · ${what}`), close), list);
  drillPanel.hidden = false;
  drillPanel.focus();
  try {
    const query = { month, unit: row.id, metric };
    // Signed-in coordinators see every case behind the figure; everyone else the public ones.
    let data = null;
    if (staffSession()) {
      data = await get('/api/staff/rankings/cases', { query, staff: true }).catch(() => null);
    }
    const link = data ? { page: 'staff.html', param: 'case' } : undefined;
    if (!data) data = await get('/api/rankings/cases', { query });
    await lifecycle().catch(() => null); // the cards' countdowns
    const hiddenCount = data.total - data.items.length;
    replace(list, data.items.map((c) => caseCard(c, link)),
      h('p', { class: 'muted' }, `共 ${data.total} 件${hiddenCount > 0 ? `，其中 ${hiddenCount} 件留言人未同意公开或未经审核公开，不在此列出` : ''}。`));
  } catch (err) {
    replace(list, errorBox(err, () => drill(row, metric, what)));
  }
}

/** 约谈 records of the month's flags and their outcome (整改中 / 逾期未报整改 / 已报整改). */
function talks(records) {
  if (!records || !records.length) return null;
  const cls = { open: 'soon', overdue: 'overdue', reported: 'done' };
  return h('section', { class: 'panel talks', 'aria-labelledby': 'talks-title' },
    h('h2', { id: 'talks-title' }, '约谈记录'),
    h('ul', { class: 'plain-list' }, records.map((t) => h('li', null,
      h('p', null, h('strong', null, t.unit.name), ' · ', `${formatDate(t.held_on)} 约谈 · 整改期限 ${formatDate(t.rectify_by)} `,
        h('span', { class: `badge ${cls[t.status] || ''}` }, t.status_label)),
      h('p', { class: 'muted' }, `约谈事由：${t.reasons}`),
      t.rectification
        ? h('p', null, `整改情况（${formatDate(t.rectification.reported_at)} 报送${t.rectification.late ? '，逾期' : ''}）：${t.rectification.text}`)
        : null))));
}

function status(data, month) {
  if (data.frozen) return `已于 ${formatDate(data.frozen_at)} 发布`;
  if (data.month_to_date) return '本月截至目前的实时数据，每月 1 日发布上月排名';
  return `${monthLabel(month)}排名尚未发布，以下为按当前数据的计算结果`;
}

/** The county choices, from the platforms a ranking names (kept once filled). */
function fillCounties(platforms) {
  if (!platforms || countiesFilled) return;
  countiesFilled = true;
  const wanted = countyInput.value;
  replace(countyInput, h('option', { value: '' }, '全市（市直部门和各区县）'),
    platforms.map((p) => h('option', { value: p.id, selected: p.id === wanted }, p.name)));
  countyInput.value = wanted;
}

async function load() {
  const month = input.value;
  const county = countyInput.value;
  const mine = ++sequence;
  if (!MONTH.test(month)) {
    replace(result, alertBox('请选择月份（格式：2026-10）。', 'error'));
    return;
  }
  drillPanel.hidden = true;
  replace(result, loading());
  try {
    const data = await get('/api/rankings', { query: county ? { month, county } : { month } });
    if (mine !== sequence) return;
    fillCounties(data.platforms);
    const params = new URLSearchParams({ month: data.month || month });
    if (data.county) params.set('county', data.county.id);
    const q = params.toString();
    const platforms = new Map((data.platforms || []).map((p) => [p.id, p]));
    const held = new Set((data.talks || []).map((t) => t.unit.id));
    const flagged = data.frozen && recorder()
      ? [...(data.departments || []), ...(data.counties || []), ...(data.units || [])].filter((r) => r.talk && !held.has(r.id))
      : [];
    recordable = new Set(flagged.map((r) => r.id));
    const recordForm = flagged.length ? (await import('./rankings-talk.js')).talkForm(data.month || month, flagged, load) : null;
    if (mine !== sequence) return;
    const groups = data.county
      ? [groupSection('units', `${data.county.name} · 承办单位排名`, data.units, data.method.named.units ?? 3)]
      : GROUPS.map(([key, title]) => groupSection(key, title, data[key], data.method.named[key], key === 'counties' ? platforms : undefined, data.month || month));
    replace(result,
      h('h2', { class: 'rank-month' }, `${data.county ? `${data.county.name} · ` : ''}${monthLabel(data.month || month)}排名`),
      data.county ? h('p', null, h('a', { href: `rankings.html?month=${encodeURIComponent(data.month || month)}` }, '← 返回全市排名')) : null,
      h('p', { class: 'muted' }, status(data, month)),
      h('p', { class: 'downloads' }, '下载数据：',
        h('a', { href: `/api/rankings.csv?${q}`, download: '' }, 'CSV'), ' · ',
        h('a', { href: `/api/rankings?${q}` }, 'JSON')),
      data.bulletin ? h('p', { class: 'downloads' }, '月度通报：',
        h('a', { href: `bulletin.html?month=${encodeURIComponent(data.month)}` }, '打印版'), ' · ',
        h('a', { href: `/api/rankings/${encodeURIComponent(data.month)}/bulletin.docx`, download: '' }, 'Word 文档')) : null,
      talks(data.talks),
      recordForm,
      h('p', { class: 'hint' }, '点击表中的数字，可查看该数字对应的公开诉求。'),
      drillPanel,
      groups,
      directSection(data.direct_answers),
      method(data.method, data.county));
  } catch (err) {
    if (mine !== sequence) return;
    replace(result, errorBox(err, load));
  }
}

function init() {
  const fallback = lastMonth();
  const { month: wanted, county } = readQuery(['month', 'county']);
  const [y, m] = todayInShanghai().split('-');
  input = h('input', { type: 'month', name: 'month', max: `${y}-${m}`, required: true, pattern: '\\d{4}-\\d{2}', placeholder: 'YYYY-MM' });
  input.value = MONTH.test(wanted) ? wanted : fallback;
  // Filled with the county platforms once a ranking names them; the asked one meanwhile.
  countyInput = h('select', { name: 'county' }, h('option', { value: '' }, '全市（市直部门和各区县）'),
    county ? h('option', { value: county, selected: true }, county) : null);
  const form = h('form', { class: 'toolbar', role: 'search', 'aria-label': '选择月份和区县' },
    field({ label: '月份', control: input, hint: '默认显示上个月的排名' }),
    field({ label: '排名范围', control: countyInput, hint: '选择区县，查看其所属各单位的排名' }));
  form.addEventListener('change', () => {
    writeQuery({ month: input.value === fallback ? '' : input.value, county: countyInput.value });
    load();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    load();
  });
  window.addEventListener('popstate', () => {
    const { month: q, county: c } = readQuery(['month', 'county']);
    input.value = MONTH.test(q) ? q : fallback;
    countyInput.value = c;
    load();
  });
  replace(app, form, result);
  load();
}

init();
