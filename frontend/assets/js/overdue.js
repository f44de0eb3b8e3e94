// 超期红牌件: public cases past a deadline by the policy's red-card rung, grouped by
// department; and above them the platforms' own delays (平台受理超时: how many new cases wait
// for 受理 past the platform's deadline, how long the oldest). How many working days a red card
// is comes from the taxonomy's time limits.
import { h, $, replace } from './dom.js';
import { get } from './api.js';
import { caseCard } from './caseview.js';
import { taxonomy, departments, field, loading, errorBox, alertBox, readQuery, writeQuery } from './ui.js';
import { lifecycle } from './lifecycle.js';

const app = $('#app');
const platforms = h('section', { class: 'panel platform-delays', 'aria-labelledby': 'platform-delays-title', hidden: true });
const list = h('div');
const status = h('div', { class: 'list-status', 'aria-live': 'polite' });
const more = h('button', { type: 'button', class: 'btn btn-secondary', hidden: true }, '加载更多');
const groups = new Map();
let department = null;
let cursor = null;
let shown = 0;
let sequence = 0;

function groupFor(c) {
  const name = c.lead ? c.lead.name : '未交办';
  if (!groups.has(name)) {
    const cards = h('div', { class: 'cards' });
    const count = h('span', { class: 'muted' });
    list.append(h('section', null, h('h2', { class: 'dept-group' }, `${name} `, count), cards));
    groups.set(name, { cards, count, n: 0 });
  }
  return groups.get(name);
}

async function load(reset) {
  const mine = ++sequence;
  if (reset) {
    cursor = null;
    shown = 0;
    groups.clear();
    list.replaceChildren();
  }
  replace(status, loading());
  more.disabled = true;
  try {
    const data = await get('/api/overdue', { query: { department: department.value, cursor } });
    if (mine !== sequence) return;
    if (reset) showPlatforms(data.platforms || []);
    for (const c of data.items || []) {
      const g = groupFor(c);
      g.cards.append(caseCard(c));
      g.n += 1;
      g.count.textContent = `（${g.n} 件）`;
      shown += 1;
    }
    cursor = data.next_cursor || null;
    more.hidden = !cursor;
    replace(status, shown
      ? h('p', { class: 'muted' }, cursor ? `已显示 ${shown} 件` : `共 ${shown} 件`)
      : alertBox(department.value ? '该单位目前没有超期红牌件。' : '目前没有超期红牌件。', 'info'));
  } catch (err) {
    if (mine !== sequence) return;
    replace(status, errorBox(err, () => load(reset)));
  } finally {
    more.disabled = false;
  }
}

/** "9.5 个工作小时" below a working day, else "1 个工作日（9.5 个工作小时）". */
function overdueText(p) {
  const hours = `${p.longest_overdue_working_hours} 个工作小时`;
  return p.longest_overdue_working_days ? `${p.longest_overdue_working_days} 个工作日（${hours}）` : hours;
}

function showPlatforms(all) {
  // The city platform always; a county platform only while it has a delay (nine lines of
  // "none" would bury the ones that matter).
  const items = all.filter((p, i) => i === 0 || p.count);
  platforms.hidden = !items.length;
  replace(platforms,
    h('h2', { id: 'platform-delays-title' }, '平台受理超时'),
    h('ul', { class: 'plain-list' }, items.map((p) => {
      const limit = `受理时限 ${p.triage_working_hours} 个工作小时`;
      return h('li', null, h('strong', null, p.platform_label), p.count
        ? `：${p.count}${p.count_capped ? '+' : ''} 件留言超过${limit}仍未受理，其中最久的已超时 ${overdueText(p)}。`
        : `：目前没有超过${limit}未受理的留言。`);
    })),
    h('p', { class: 'hint' }, '新留言提交后，平台须在受理时限内受理、不予受理或并件；超时后系统提醒并催办平台工作人员。尚未受理的留言不公开，此处只公布件数和时长。'));
}

async function statePolicy() {
  const slot = $('#red-card-days');
  if (!slot) return;
  try {
    const days = ((await taxonomy()).time_limits || {}).red_card_overdue_working_days;
    if (days) slot.textContent = ` ${days} 个工作日`;
  } catch {
    // The sentence reads without the figure.
  }
}

async function init() {
  statePolicy();
  replace(app, loading());
  const [listed] = await Promise.allSettled([departments(), lifecycle()]);
  const depts = listed.value || [];
  department = h('select', { name: 'department' }, h('option', { value: '' }, '全部单位'),
    ...depts.map((d) => h('option', { value: d.id }, d.name)));
  department.value = readQuery(['department']).department;
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': '按单位筛选' },
    field({ label: '承办单位', control: department }));
  form.addEventListener('change', () => {
    writeQuery({ department: department.value });
    load(true);
  });
  form.addEventListener('submit', (e) => e.preventDefault());
  more.addEventListener('click', () => load(false));
  replace(app, platforms, form, list, status, h('div', { class: 'more' }, more));
  load(true);
}

init();
