// 月度通报, print-ready (A4: site.css @media print), from GET /api/rankings/{month}/bulletin:
//   { month, title, produced_at, ranking_frozen_at, headline: {received, assigned, replied,
//     closed, replied_on_time_rate, satisfied_rate}, previous_headline, change: {…same keys…},
//     levels: [{ level, label, county?, ranked, top: [{id, name, rank, score, talk}], bottom }],
//     talk_flags: [{ …unit, level }], talks: [Talk], hotspots: [{label, summary}],
//     showcase: [ShowcaseItem] }
// The Word file (…/bulletin.docx) says the same (functions/services/bulletin_docx.py).
import { h, $, replace } from './dom.js';
import { get } from './api.js';
import { formatDate } from './format.js';
import { loading, errorBox, alertBox, readQuery } from './ui.js';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const app = $('#app');

function pct(v) {
  return typeof v === 'number' ? `${(v * 100).toFixed(1)}%` : '—';
}

function delta(v, rate) {
  if (typeof v !== 'number') return '—';
  if (rate) {
    const points = Math.round(v * 1000) / 10;
    return points ? `${points > 0 ? '+' : ''}${points.toFixed(1)} 个百分点` : '持平';
  }
  return v ? `${v > 0 ? '+' : ''}${v}` : '持平';
}

function figures(head, change) {
  const rows = [
    ['受理诉求', head.received ?? '—', delta(change.received, false)],
    ['交办', head.assigned, delta(change.assigned, false)],
    ['答复', head.replied, delta(change.replied, false)],
    ['办结', head.closed, delta(change.closed, false)],
    ['按时答复率', pct(head.replied_on_time_rate), delta(change.replied_on_time_rate, true)],
    ['满意率', pct(head.satisfied_rate), delta(change.satisfied_rate, true)],
  ];
  return h('table', { class: 'data-table bulletin-figures' },
    h('caption', null, '主要数据'),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, '指标'), h('th', { scope: 'col' }, '本月'), h('th', { scope: 'col' }, '环比'))),
    h('tbody', null, rows.map(([label, value, d]) => h('tr', null, h('th', { scope: 'row' }, label), h('td', null, String(value)), h('td', null, d)))));
}

function level(l) {
  const rows = [...l.top.map((u) => ['前列', u]), ...l.bottom.map((u) => ['后列', u])];
  if (!rows.length) return h('section', null, h('h3', null, l.label), h('p', null, '本月参加排名的单位不足，未列前后名次。'));
  return h('section', null, h('h3', null, l.label),
    h('table', { class: 'data-table' },
      h('caption', { class: 'visually-hidden' }, `${l.label}前后名次`),
      h('thead', null, h('tr', null, ['位置', '名次', '单位', '综合得分'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, rows.map(([where, u]) => h('tr', null,
        h('td', null, where), h('td', null, u.rank ?? '—'), h('td', null, u.name),
        h('td', null, typeof u.score === 'number' ? u.score.toFixed(1) : '—'))))));
}

function talkList(data) {
  const flags = data.talk_flags.length
    ? data.talk_flags.map((f) => `${f.name}（${f.level}）`).join('、')
    : '无';
  return [
    h('p', null, `本月连续两个月排名后三位、列入约谈提示的单位：${flags}。`),
    data.talks.length ? h('ul', null, data.talks.map((t) => h('li', null,
      `${formatDate(t.held_on)} 约谈${t.unit.name}（${t.month} 排名提示）：${t.reasons}。整改期限 ${formatDate(t.rectify_by)}，${t.status_label}`,
      t.rectification ? `（${formatDate(t.rectification.reported_at)} 报送：${t.rectification.text}）` : '', '。'))) : null,
  ];
}

function render(data) {
  const docx = `/api/rankings/${encodeURIComponent(data.month)}/bulletin.docx`;
  const printButton = h('button', { type: 'button', class: 'btn' }, '打印');
  printButton.addEventListener('click', () => window.print());
  replace(app,
    h('p', { class: 'no-print toolbar' }, printButton, ' ', h('a', { href: docx, download: '' }, '下载 Word 文档'),
      ' · ', h('a', { href: `rankings.html?month=${encodeURIComponent(data.month)}` }, '查看完整排名')),
    h('article', { class: 'bulletin-page', 'aria-labelledby': 'bulletin-title' },
      h('h1', { id: 'bulletin-title' }, data.title),
      h('p', { class: 'muted bulletin-stamp' }, data.ranking_frozen_at ? `排名发布：${formatDate(data.ranking_frozen_at)}` : ''),
      h('h2', null, '一、总体情况'), figures(data.headline, data.change || {}),
      h('h2', null, '二、亮晒比排名'), data.levels.map(level),
      h('h2', null, '三、约谈情况'), talkList(data),
      h('h2', null, '四、本月热点'),
      data.hotspots.length
        ? h('ul', null, data.hotspots.map((s) => h('li', null, `${s.label || ''}：${s.summary || ''}`)))
        : h('p', null, '本月无舆情热点预警。'),
      h('h2', null, '五、回音壁'),
      data.showcase.length
        ? data.showcase.map((c) => h('section', null,
          h('h3', null, h('a', { href: `case.html?id=${encodeURIComponent(c.case_id)}` }, c.title)),
          h('p', { class: 'muted' }, `${c.case_id} · ${c.department ? c.department.name : ''}`),
          h('p', null, c.summary || c.excerpt || '')))
        : h('p', null, '本月无精选案例。')));
  document.title = `${data.title} - 网络问政平台`;
}

async function init() {
  const { month } = readQuery(['month']);
  if (!MONTH.test(month || '')) {
    replace(app, h('h1', null, '月度通报'), alertBox('请从亮晒比页面选择已发布的月份（地址应含 ?month=YYYY-MM）。', 'error'));
    return;
  }
  replace(app, loading());
  try {
    render(await get(`/api/rankings/${encodeURIComponent(month)}/bulletin`));
  } catch (err) {
    replace(app, h('h1', null, '月度通报'), errorBox(err, init));
  }
}

init();
