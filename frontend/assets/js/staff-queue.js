// 总平台工作台: the state tabs and 督办 lists, the filters, the queue (its state in the URL) and
// the case panel beside it.
import { h, replace } from './dom.js';
import { formatDateTime } from './format.js';
import {
  optionsOf, field, select, loading, alertBox, errorBox, badge, stateBadge, deadlineBadge, cardBadge,
  readQuery, writeQuery,
} from './ui.js';
import { stateOptions, withDepartment } from './lifecycle.js';
import { staffGet, sessionLost, PROVISIONAL } from './staff-common.js';
import { showCase, emptyPanel } from './staff-case.js';
import { hotlineView } from './staff-hotline.js';
import { deadLettersButton } from './staff-outbox.js';
import { reviewsButton } from './staff-reviews.js';

const QUERY_KEYS = ['state', 'card', 'kind', 'district', 'department', 'pending', 'attention', 'merged_unsatisfied', 'sort', 'case'];
// The 督办 lists beside the state tabs: cases holding a card on a clock still running, and
// the platform's own: cases waiting for 受理 past its 受理 deadline (平台受理超时).
const CARDS = [['yellow', '黄牌督办'], ['red', '红牌督办'], ['triage', '受理超时']];
const NONE = { yellow: '目前没有黄牌督办的留言。', red: '目前没有红牌督办的留言。', triage: '目前没有超过受理时限未受理的留言。', hotspots: '近 30 日没有舆情预警。' };
// 预警: the 舆情 warnings (their module is loaded when the tab is chosen).
const HOTSPOTS = ['hotspots', '预警'];

/** 受理超时 (the platform's own delay) or the 受理 countdown, while the case waits for 受理. */
function triageBadge(c) {
  if (c.triage_overdue) {
    const hours = c.triage_overdue_working_hours;
    return badge(hours ? `受理超时 ${hours} 工作小时` : '受理超时', 'overdue triage-overdue');
  }
  return c.triage_due_at ? deadlineBadge(c.triage_due_at, { prefix: '受理' }) : null;
}

export function consoleView(container, { tax, depts, role = 'coordinator' }) {
  const q = readQuery(QUERY_KEYS);
  const state = { filters: { ...q, sort: q.sort || 'newest' }, selected: q.case || '', cursor: null, seq: 0 };
  delete state.filters.case;

  const tabs = h('div', { class: 'tabs', role: 'group', 'aria-label': '按状态筛选' });
  const kind = select('kind', optionsOf(tax, 'kinds'), { placeholder: '全部类型', value: state.filters.kind });
  const district = select('district', optionsOf(tax, 'districts'), { placeholder: '全部区域', value: state.filters.district });
  const department = select('department', depts.map((d) => ({ code: d.id, label: d.name })), { placeholder: '全部单位', value: state.filters.department });
  const pending = select('pending', [{ code: 'return', label: '待审退回申请' }, { code: 'extension', label: '待审延期申请' }], { placeholder: '全部', value: state.filters.pending });
  const attention = select('attention', [{ code: '1', label: '仅群众关注件' }], { placeholder: '全部', value: state.filters.attention });
  const complained = select('merged_unsatisfied', [{ code: '1', label: '仅并件不满意' }], { placeholder: '全部', value: state.filters.merged_unsatisfied });
  const sort = select('sort', [{ code: 'newest', label: '最新提交在前' }, { code: 'deadline', label: '时限最近在前' }], { value: state.filters.sort });
  const filters = h('form', { class: 'filters filters-staff', 'aria-label': '筛选' },
    field({ label: '类型', control: kind }),
    field({ label: '区域', control: district }),
    field({ label: '承办单位', control: department }),
    field({ label: '待审申请', control: pending }),
    field({ label: '群众关注', control: attention }),
    field({ label: '并件评价', control: complained }),
    field({ label: '排序', control: sort }));
  filters.addEventListener('submit', (e) => e.preventDefault());
  filters.addEventListener('change', () => {
    Object.assign(state.filters, { kind: kind.value, district: district.value, department: department.value, pending: pending.value, attention: attention.value, merged_unsatisfied: complained.value, sort: sort.value });
    loadQueue(true);
  });
  const cardNote = h('p', { class: 'hint card-note', hidden: true });
  function syncFilters() {
    // A card list is ordered by how overdue it is and filtered by department only; the
    // platform's own list (受理超时) not even by that.
    const { card } = state.filters;
    for (const control of [kind, district, pending, attention, complained, sort]) control.disabled = Boolean(card);
    department.disabled = card === 'triage' || card === 'hotspots';
    cardNote.hidden = !card;
    cardNote.textContent = card === 'hotspots'
      ? '预警：近 30 日某区域同类诉求远超平日水平的词语，附每日趋势与相关诉求。'
      : card === 'triage'
      ? '受理超时列表：超过受理时限仍未受理的留言，按超时长短排列，不按条件筛选。'
      : '督办牌列表按超期时间从长到短排列，只按承办单位筛选。';
  }

  const list = h('ul', { class: 'queue-list' });
  const listStatus = h('div', { 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'btn btn-secondary', hidden: true }, '加载更多');
  more.addEventListener('click', () => loadQueue(false));
  const panel = h('section', { class: 'case-panel', 'aria-label': '留言详情', tabindex: '-1' });
  const newCase = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, '代录来电留言');
  newCase.addEventListener('click', () => {
    select_('');
    hotlineView(panel, tax, (id) => { select_(id); loadQueue(true); });
    panel.focus();
  });

  replace(container,
    h('div', { class: 'console-head' }, h('h1', null, '总平台工作台'),
      h('div', { class: 'bar-actions' }, newCase,
        deadLettersButton(panel, { onOpen: () => select_(''), sessionLost, openCase: (id) => { select_(id); openCase(id); } }),
        // 监督评议审核 (§16): the city's coordinators moderate supervisors' reviews.
        role === 'county_coordinator' ? null
          : reviewsButton(panel, { onOpen: () => select_(''), sessionLost, openCase: (id) => { select_(id); openCase(id); } }))),
    tabs, filters, cardNote,
    h('div', { class: 'console' },
      h('div', { class: 'queue' }, list, listStatus, h('div', { class: 'more' }, more)),
      panel));

  function syncUrl() {
    writeQuery({ ...state.filters, sort: state.filters.sort === 'newest' ? '' : state.filters.sort, case: state.selected }, { push: false });
  }

  function renderTabs(known) {
    // A county platform's queue has no city-wide counts (its 督办 lists hold its own cases).
    const counts = known && Object.keys(known).length ? known : null;
    const states = stateOptions();
    const total = counts ? Object.values(counts).reduce((a, b) => a + (Number(b) || 0), 0) : null;
    const carded = state.filters.card || '';
    const tab = (code, label, n) => {
      const b = h('button', { type: 'button', class: 'tab', 'aria-pressed': String(!carded && (state.filters.state || '') === code) },
        label, n !== null && n !== undefined ? h('span', { class: 'tab-count' }, String(n)) : null);
      b.addEventListener('click', () => {
        Object.assign(state.filters, { state: code, card: '' });
        loadQueue(true);
      });
      return b;
    };
    const cardTab = ([code, label]) => {
      const b = h('button', { type: 'button', class: `tab tab-card tab-card-${code}`, 'aria-pressed': String(carded === code) }, label);
      b.addEventListener('click', () => {
        Object.assign(state.filters, { state: '', card: code });
        loadQueue(true);
      });
      return b;
    };
    replace(tabs, tab('', '全部', total), states.map((s) => tab(s.code, s.label, counts ? (counts[s.code] || 0) : null)),
      CARDS.map(cardTab), cardTab(HOTSPOTS));
  }

  function row(c) {
    const running = withDepartment(c.state);
    const pendingType = typeof c.pending === 'string' ? c.pending : c.pending && c.pending.type;
    const due = c.next_deadline || c.reply_due_at;
    const link = h('a', { href: `staff.html?case=${encodeURIComponent(c.case_id)}`, class: 'queue-item', 'aria-current': c.case_id === state.selected ? 'true' : null },
      h('span', { class: 'queue-top' },
        stateBadge(c.state, c.state_label),
        c.kind_label ? badge(c.kind_label, 'kind') : null,
        pendingType ? badge(pendingType === 'extension' ? '待审延期' : '待审退回', 'pending') : null,
        c.escalated ? badge('已转总平台', 'reopen') : null,
        c.attention ? badge(c.attention.level > 1 ? '群众关注 · 已提请单位负责人' : '群众关注', 'attention') : null,
        c.merged_complaints ? badge(`并件不满意 ${c.merged_complaints}`, 'reopen') : null,
        c.district_claimed ? badge('区县待核', 'pending') : null,
        c.deadline_provisional ? h('span', { class: 'badge provisional', title: PROVISIONAL }, '时限按规则推算') : null,
        running && due ? deadlineBadge(due, { apiOverdue: c.overdue }) : null,
        triageBadge(c),
        cardBadge(c),
        h('span', { class: 'mono muted' }, c.case_id)),
      h('span', { class: 'queue-title' }, c.title),
      h('span', { class: 'queue-meta muted' }, [formatDateTime(c.created_at), c.district_label, c.lead ? `牵头：${c.lead.name}` : null].filter(Boolean).join(' · ')));
    link.addEventListener('click', (e) => {
      if (e.ctrlKey || e.metaKey || e.shiftKey) return;
      e.preventDefault();
      select_(c.case_id);
      openCase(c.case_id);
    });
    return h('li', null, link);
  }

  async function loadQueue(reset) {
    const mine = ++state.seq;
    if (reset) {
      state.cursor = null;
      list.replaceChildren();
      more.hidden = true;
      syncUrl();
    }
    replace(listStatus, loading());
    try {
      // A filtered page may come back empty with a cursor: keep reading a few pages.
      let data;
      let added = 0;
      const { card } = state.filters;
      syncFilters();
      if (card === 'hotspots') {
        const { hotspotItems } = await import('./staff-hotspots.js');
        const items = await hotspotItems({ openCase: (id) => { select_(id); openCase(id); } });
        if (mine !== state.seq) return;
        if (reset) renderTabs(state.counts || null);
        list.append(...items);
        listStatus.replaceChildren(items.length ? '' : alertBox(NONE.hotspots, 'info'));
        return;
      }
      for (let pages = 0; pages < 10; pages += 1) {
        data = card
          ? await staffGet('/api/staff/overdue', { card, department: card === 'triage' ? '' : state.filters.department, cursor: state.cursor })
          : await staffGet('/api/staff/queue', { ...state.filters, cursor: state.cursor });
        if (mine !== state.seq) return;
        if (reset && pages === 0) {
          if (!card) state.counts = data.counts || null;
          renderTabs(state.counts || null);
        }
        for (const c of data.items || []) list.append(row(c));
        added += (data.items || []).length;
        state.cursor = data.next_cursor || null;
        if (added || !state.cursor) break;
      }
      more.hidden = !state.cursor;
      const none = card ? NONE[card] || NONE.yellow : '没有符合条件的留言。';
      listStatus.replaceChildren(list.children.length ? '' : alertBox(none, 'info'));
    } catch (err) {
      if (mine !== state.seq || sessionLost(err)) return;
      replace(listStatus, errorBox(err, () => loadQueue(reset)));
    }
  }

  function select_(id) {
    state.selected = id;
    for (const a of list.querySelectorAll('.queue-item')) {
      const isIt = a.getAttribute('href') === `staff.html?case=${encodeURIComponent(id)}`;
      if (isIt) a.setAttribute('aria-current', 'true');
      else a.removeAttribute('aria-current');
    }
    syncUrl();
  }

  async function openCase(id, message) {
    replace(panel, loading('正在打开留言…'));
    panel.scrollIntoView({ block: 'start' });
    try {
      const c = await staffGet(`/api/staff/cases/${encodeURIComponent(id)}`);
      renderCase(c, message);
    } catch (err) {
      if (sessionLost(err)) return;
      replace(panel, errorBox(err, () => openCase(id)));
    }
  }

  function renderCase(c, message) {
    showCase(panel, c, message, {
      tax,
      depts,
      done(updated, text) {
        renderCase(updated, text);
        loadQueue(true);
      },
      failed: sessionLost,
      onClose() {
        select_('');
        panel.replaceChildren(emptyPanel());
        list.querySelector('.queue-item')?.focus();
      },
    });
  }

  renderTabs(null);
  panel.append(emptyPanel());
  loadQueue(true);
  if (state.selected) openCase(state.selected);
}
