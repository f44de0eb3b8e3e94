// 不满意专区: public cases whose latest rating is 不满意, the latest first, each with what
// happened next: the 重办 deadline, the second reply, the second rating.
import { h, $, replace } from './dom.js';
import { get } from './api.js';
import { caseCard } from './caseview.js';
import { formatDateTime } from './format.js';
import { departments, field, loading, errorBox, alertBox, deadlineBadge, readQuery, writeQuery } from './ui.js';
import { lifecycle } from './lifecycle.js';

const app = $('#app');
const list = h('div', { class: 'cards' });
const status = h('div', { class: 'list-status', 'aria-live': 'polite' });
const more = h('button', { type: 'button', class: 'btn btn-secondary', hidden: true }, '加载更多');
let department = null;
let cursor = null;
let shown = 0;
let sequence = 0;

const when = (iso) => h('time', { datetime: iso, class: 'muted' }, formatDateTime(iso));

/** What happened since the citizen was not satisfied, in order. */
function story(c) {
  const u = c.unsatisfied;
  if (!u) return null;
  const steps = [];
  for (const r of u.rounds) {
    const by = [r.department && r.department.name, r.outcome_label].filter(Boolean).join('，');
    steps.push(h('li', null,
      h('div', { class: 'tl-head' }, h('strong', null, `第 ${r.n} 次答复`), by ? h('span', { class: 'tl-actor' }, by) : null),
      when(r.at),
      r.text ? h('p', { class: 'tl-note' }, r.text) : null));
    steps.push(r.rating
      ? h('li', { class: r.rating === 'unsatisfied' ? 'story-bad' : 'story-good' },
        h('div', { class: 'tl-head' }, h('strong', null, `第 ${r.n} 次评价：${r.rating_label}`)),
        r.rated_at ? when(r.rated_at) : null,
        r.rating_comment ? h('p', { class: 'tl-note' }, `留言人：${r.rating_comment}`) : null)
      : h('li', null, h('div', { class: 'tl-head' }, h('strong', null, `第 ${r.n} 次评价：待留言人评价`))));
  }
  if (u.redo_due_at) {
    steps.push(h('li', null,
      h('div', { class: 'tl-head' }, h('strong', null, `第 ${u.reopen_count} 次重办`)),
      h('p', { class: 'tl-note' }, `答复时限：${formatDateTime(u.redo_due_at)} `, deadlineBadge(u.redo_due_at, { apiOverdue: c.overdue }))));
  }
  if (u.escalated) {
    steps.push(h('li', null, h('div', { class: 'tl-head' }, h('strong', null, '转总平台研究处理')),
      h('p', { class: 'tl-note' }, '重办后仍不满意，由总平台研究处理。')));
  }
  return h('section', { class: 'unsatisfied-story' },
    h('h3', null, '后续办理'),
    h('ol', { class: 'timeline' }, steps));
}

async function load(reset) {
  const mine = ++sequence;
  if (reset) {
    cursor = null;
    shown = 0;
    replace(list, loading());
  }
  replace(status, reset ? null : loading());
  more.disabled = true;
  try {
    const data = await get('/api/cases', { query: { rating: 'unsatisfied', department: department.value, cursor } });
    if (mine !== sequence) return;
    if (!shown) list.replaceChildren();
    for (const c of data.items || []) {
      const card = caseCard(c);
      const next = story(c);
      if (next) card.append(next);
      list.append(card);
      shown += 1;
    }
    cursor = data.next_cursor || null;
    more.hidden = !cursor;
    replace(status, shown
      ? h('p', { class: 'muted' }, cursor ? `已显示 ${shown} 件` : `共 ${shown} 件`)
      : alertBox(department.value ? '该单位目前没有评价为不满意的公开诉求。' : '目前没有评价为不满意的公开诉求。', 'info'));
  } catch (err) {
    if (mine !== sequence) return;
    if (!shown) list.replaceChildren();
    replace(status, errorBox(err, () => load(reset)));
  } finally {
    more.disabled = false;
  }
}

async function init() {
  replace(app, loading());
  const [listed] = await Promise.allSettled([departments(), lifecycle()]);
  const depts = listed.value || [];
  department = h('select', { name: 'department' }, h('option', { value: '' }, '全部单位'),
    ...depts.map((d) => h('option', { value: d.id }, d.name)));
  department.value = readQuery(['department']).department;
  if (department.value !== readQuery(['department']).department) department.value = '';
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': '按单位筛选' },
    field({ label: '承办单位', control: department }));
  form.addEventListener('change', () => {
    writeQuery({ department: department.value });
    load(true);
  });
  form.addEventListener('submit', (e) => e.preventDefault());
  more.addEventListener('click', () => load(false));
  window.addEventListener('popstate', () => {
    department.value = readQuery(['department']).department;
    load(true);
  });
  replace(app, form, list, status, h('div', { class: 'more' }, more));
  load(true);
}

init();
