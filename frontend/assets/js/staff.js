// 工作人员: sign-in by emailed link, then the coordinator console (queue + case panel),
// the operator's hotline entry form, or the auditor's note.
import { h, $, replace, uid } from './dom.js';
import { get, post, staffSession, saveStaffSession, clearStaffSession } from './api.js';
import { formatDateTime } from './format.js';
import {
  taxonomy, departments, optionsOf, labelOf, field, fieldset, select, counter, loading, alertBox, errorBox,
  errorSummary, clearFieldErrors, showFieldErrors, setBusy, badge, stateBadge, deadlineBadge, cardBadge, facts,
  truncate, readQuery, writeQuery, OPEN_STATES,
} from './ui.js';
import { caseHeading, caseFacts, caseContent, contactSection, repliesSection, timelineSection, rejectionBlock } from './caseview.js';
import { actionForm } from './actions.js';
import { caseFields, submissionLimits } from './caseform.js';
import { deadLettersButton, unreachableNote } from './staff-outbox.js';
import { publicVersionFields, publicVersionSection } from './staff-public.js';
import { signInForm, signOutButton, staffBar } from './signin.js';

const app = $('#app');
const COORDINATING = new Set(['coordinator', 'admin']);
// A deadline in a year whose official holiday schedule is not confirmed (deadline_provisional).
const PROVISIONAL = '时限按规则推算（该年度放假安排尚未公布）';
const QUERY_KEYS = ['state', 'card', 'kind', 'district', 'department', 'pending', 'sort', 'case'];
// The 督办 lists beside the state tabs: cases holding a card on a clock still running.
const CARDS = [['yellow', '黄牌督办'], ['red', '红牌督办']];
let tax = null;
let depts = [];

const staffGet = (path, query) => get(path, { staff: true, query });
const staffPost = (path, body, options = {}) => post(path, body, { ...options, staff: true });

/** Any staff call answering 401 ends the session. */
function sessionLost(err) {
  if (err && err.status === 401) {
    clearStaffSession();
    signIn('登录已过期或已在别处退出，请重新登录。');
    return true;
  }
  return false;
}

// ---- sign-in ----------------------------------------------------------------------------------

function signIn(notice) {
  signInForm(app, notice);
}

async function exchange(token) {
  replace(app, loading('正在登录…'));
  try {
    const session = await post('/api/staff/session', { token });
    saveStaffSession(session);
    start();
  } catch (err) {
    if (err.status === 0 || err.status >= 500) replace(app, errorBox(err));
    else signIn('登录链接无效或已过期：登录链接只能使用一次，且 15 分钟内有效。请重新获取。');
  }
}

// ---- after sign-in ----------------------------------------------------------------------------

async function start() {
  let session = staffSession();
  replace(app, loading());
  try {
    const me = await staffGet('/api/staff/me');
    if (me && typeof me === 'object') {
      session = { ...session, ...me };
      saveStaffSession(session);
    }
    [tax, depts] = await Promise.all([taxonomy().catch(() => null), departments().catch(() => [])]);
  } catch (err) {
    if (!sessionLost(err)) replace(app, errorBox(err, start));
    return;
  }
  if (session.role === 'auditor') {
    // Nothing here for auditors: their page is 审计查询 (the emailed sign-in link opens this page).
    replace(app, h('p', { class: 'panel narrow' }, h('a', { href: 'audit.html', class: 'btn btn-primary' }, '打开审计查询')));
    location.replace('audit.html');
    return;
  }
  const role = session.role;
  const bar = staffBar(session,
    role === 'admin' ? h('a', { href: 'admin.html', class: 'btn btn-secondary btn-small' }, '时限与工作日历设置') : null,
    signOutButton(() => signIn('您已退出登录。')));
  const body = h('div');
  replace(app, bar, body);
  if (COORDINATING.has(role)) consoleView(body);
  else if (role === 'operator') hotlineView(body, null);
  else {
    replace(body, alertBox('当前账号没有可用的功能，请联系管理员。', 'info'));
  }
}

// ---- hotline / mailbox entry (operator, coordinator) ---------------------------------------------

async function hotlineView(container, onCreated) {
  replace(container, loading());
  const limits = await submissionLimits();
  const fields = caseFields(tax, limits, { staff: true });
  const summary = h('div', { 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, '录入留言');
  const form = h('form', { class: 'form panel', novalidate: true },
    h('h2', null, '代录来电、来信留言'),
    h('p', { class: 'hint' }, '根据来电人或来信人的陈述录入，录入后按正常流程受理、交办。'),
    summary, fields.element, h('div', { class: 'form-actions' }, button));
  let key = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
  let lastBody = null;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    clearFieldErrors(form);
    summary.replaceChildren();
    const body = fields.collect();
    const problems = fields.validate(body);
    if (problems.length) {
      showFieldErrors(form, problems);
      replace(summary, errorSummary({ message: '请检查以下内容' }, problems.map((p) => p.message)));
      return;
    }
    const json = JSON.stringify(body);
    if (lastBody !== null && lastBody !== json) key = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
    lastBody = json;
    setBusy(button, true);
    try {
      const created = await staffPost('/api/staff/cases', body, { idempotencyKey: key });
      replace(container, h('section', { class: 'panel success', role: 'status' },
        h('h2', null, '已录入'),
        h('p', null, '请告知来电人留言编号和查询码，查询码只显示这一次：'),
        facts([
          ['留言编号', h('span', { class: 'code' }, created.case_id)],
          ['查询码', h('span', { class: 'code' }, created.tracking_code)],
        ], 'facts facts-codes'),
        h('div', { class: 'form-actions' },
          onCreated ? h('button', { type: 'button', class: 'btn btn-primary', onclick: () => onCreated(created.case_id) }, '打开该留言') : null,
          h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => hotlineView(container, onCreated) }, '继续录入'))));
    } catch (err) {
      setBusy(button, false);
      if (sessionLost(err)) return;
      const unplaced = showFieldErrors(form, err.fields);
      replace(summary, errorSummary(err, (err.fields || []).length ? err.fields.map((f) => f.message) : unplaced));
    }
  });
  replace(container, form);
}

// ---- coordinator console ----------------------------------------------------------------------

function consoleView(container) {
  const q = readQuery(QUERY_KEYS);
  const state = { filters: { ...q, sort: q.sort || 'newest' }, selected: q.case || '', cursor: null, seq: 0 };
  delete state.filters.case;

  const tabs = h('div', { class: 'tabs', role: 'group', 'aria-label': '按状态筛选' });
  const kind = select('kind', optionsOf(tax, 'kinds'), { placeholder: '全部类型', value: state.filters.kind });
  const district = select('district', optionsOf(tax, 'districts'), { placeholder: '全部区域', value: state.filters.district });
  const department = select('department', depts.map((d) => ({ code: d.id, label: d.name })), { placeholder: '全部单位', value: state.filters.department });
  const pending = select('pending', [{ code: 'return', label: '待审退回申请' }, { code: 'extension', label: '待审延期申请' }], { placeholder: '全部', value: state.filters.pending });
  const sort = select('sort', [{ code: 'newest', label: '最新提交在前' }, { code: 'deadline', label: '时限最近在前' }], { value: state.filters.sort });
  const filters = h('form', { class: 'filters filters-staff', 'aria-label': '筛选' },
    field({ label: '类型', control: kind }),
    field({ label: '区域', control: district }),
    field({ label: '承办单位', control: department }),
    field({ label: '待审申请', control: pending }),
    field({ label: '排序', control: sort }));
  filters.addEventListener('submit', (e) => e.preventDefault());
  filters.addEventListener('change', () => {
    Object.assign(state.filters, { kind: kind.value, district: district.value, department: department.value, pending: pending.value, sort: sort.value });
    loadQueue(true);
  });
  const cardNote = h('p', { class: 'hint card-note', hidden: true }, '督办牌列表按超期时间从长到短排列，只按承办单位筛选。');
  function syncFilters() {
    // A card list is ordered by how overdue it is and filtered by department only.
    const carded = Boolean(state.filters.card);
    for (const control of [kind, district, pending, sort]) control.disabled = carded;
    cardNote.hidden = !carded;
  }

  const list = h('ul', { class: 'queue-list' });
  const listStatus = h('div', { 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'btn btn-secondary', hidden: true }, '加载更多');
  more.addEventListener('click', () => loadQueue(false));
  const panel = h('section', { class: 'case-panel', 'aria-label': '留言详情', tabindex: '-1' });
  const newCase = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, '代录来电留言');
  newCase.addEventListener('click', () => {
    select_('');
    hotlineView(panel, (id) => { select_(id); loadQueue(true); });
    panel.focus();
  });

  replace(container,
    h('div', { class: 'console-head' }, h('h1', null, '总平台工作台'),
      h('div', { class: 'bar-actions' }, newCase,
        deadLettersButton(panel, { onOpen: () => select_(''), sessionLost, openCase: (id) => { select_(id); openCase(id); } }))),
    tabs, filters, cardNote,
    h('div', { class: 'console' },
      h('div', { class: 'queue' }, list, listStatus, h('div', { class: 'more' }, more)),
      panel));

  function syncUrl() {
    writeQuery({ ...state.filters, sort: state.filters.sort === 'newest' ? '' : state.filters.sort, case: state.selected }, { push: false });
  }

  function renderTabs(counts) {
    const states = optionsOf(tax, 'states');
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
      CARDS.map(cardTab));
  }

  function row(c) {
    const running = OPEN_STATES.has(c.state);
    const pendingType = typeof c.pending === 'string' ? c.pending : c.pending && c.pending.type;
    const due = c.next_deadline || c.reply_due_at;
    const link = h('a', { href: `staff.html?case=${encodeURIComponent(c.case_id)}`, class: 'queue-item', 'aria-current': c.case_id === state.selected ? 'true' : null },
      h('span', { class: 'queue-top' },
        stateBadge(c.state, c.state_label),
        c.kind_label ? badge(c.kind_label, 'kind') : null,
        pendingType ? badge(pendingType === 'extension' ? '待审延期' : '待审退回', 'pending') : null,
        c.escalated ? badge('已转总平台', 'reopen') : null,
        c.deadline_provisional ? h('span', { class: 'badge provisional', title: PROVISIONAL }, '时限按规则推算') : null,
        running && due ? deadlineBadge(due, { apiOverdue: c.overdue }) : null,
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
      for (let pages = 0; pages < 10; pages += 1) {
        data = card
          ? await staffGet('/api/staff/overdue', { card, department: state.filters.department, cursor: state.cursor })
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
      const none = card ? `目前没有${card === 'red' ? '红牌' : '黄牌'}督办的留言。` : '没有符合条件的留言。';
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
    const close = h('button', { type: 'button', class: 'btn btn-link panel-close' }, '← 返回列表');
    close.addEventListener('click', () => {
      select_('');
      panel.replaceChildren(emptyPanel());
      list.querySelector('.queue-item')?.focus();
    });
    const done = (updated, text) => {
      renderCase(updated, text);
      loadQueue(true);
    };
    replace(panel,
      h('div', { class: 'case-panel-inner' },
        close,
        message ? h('div', { class: 'alert alert-success', role: 'status' }, h('p', null, message)) : null,
        caseHeading(c, 'h2'),
        rejectionBlock(c.rejection),
        c.escalated ? alertBox('本件经两次重办留言人仍不满意，已转总平台处理。', 'warning') : null,
        c.deadline_provisional ? alertBox(`${PROVISIONAL}：时限所在年份的法定节假日安排尚未确认，公布并由管理员更新工作日历后，请核对本件时限。`, 'warning') : null,
        h('section', { class: 'panel' }, caseFacts(c), facts([
          ['来源', c.channel_label || null],
          ['公开', publicText(c)],
          ['交办', c.assignment && c.assignment.no ? `第 ${c.assignment.no} 次交办 · ${formatDateTime(c.assignment.assigned_at)}` : null],
          ['签收时间', c.assignment && c.assignment.signed_at ? formatDateTime(c.assignment.signed_at) : null],
          ['可申请退回至', c.assignment && c.assignment.return_window_ends_at && OPEN_STATES.has(c.state) ? formatDateTime(c.assignment.return_window_ends_at) : null],
          ['已延期', c.extensions_used ? `${c.extensions_used} 次` : null],
          ['回音壁', c.featured ? `已精选 · ${formatDateTime(c.featured.featured_at)}` : null],
        ])),
        unreachableNote(c),
        pendingBox(c.pending),
        actionsSection(c, done),
        c.state !== 'submitted' ? publicVersionSection(c, done, { submit: (body) => staffPost(casePath(c, 'public-version'), body), failed }) : null,
        showcaseSection(c, done),
        caseContent(c),
        contactSection(c.contact),
        assignmentBox(c.assignment),
        repliesSection(c.replies),
        timelineSection(c.events || c.timeline, { title: '全部事件记录' })));
    panel.focus({ preventScroll: true });
  }

  renderTabs(null);
  panel.append(emptyPanel());
  loadQueue(true);
  if (state.selected) openCase(state.selected);
}

function publicText(c) {
  if (!c.public) return '留言人不同意公开';
  if (c.published) return '留言人同意公开 · 已在留言板展示';
  if (c.approved_public) return '留言人同意公开 · 总平台已同意公开';
  return '留言人同意公开 · 尚未审核公开';
}

function emptyPanel() {
  return h('p', { class: 'muted panel-empty' }, '在左侧列表中选择一条留言，查看详情并办理。');
}

function pendingBox(p) {
  if (!p) return null;
  const what = p.type === 'extension' ? `申请延期 ${p.working_days || ''} 个工作日` : '申请退回';
  return h('section', { class: 'alert alert-warning' },
    h('p', { class: 'alert-title' }, `待审申请：${p.department ? p.department.name : ''}${what}`),
    p.reason ? h('p', null, `理由：${p.reason}`) : null,
    p.at ? h('p', { class: 'muted' }, `申请时间：${formatDateTime(p.at)}`) : null);
}

function assignmentBox(a) {
  if (!a || !a.co_handlers || !a.co_handlers.length) return null;
  return h('section', { class: 'panel' },
    h('h2', null, '协办单位意见'),
    h('ul', { class: 'plain-list' }, a.co_handlers.map((d) => {
      const text = d.input && typeof d.input === 'object' ? d.input.text : d.input;
      return h('li', null, h('strong', null, d.name), '：',
        text ? h('span', { class: 'prewrap' }, text) : h('span', { class: 'muted' }, d.input_due_at ? `尚未提交（时限 ${formatDateTime(d.input_due_at)}）` : '尚未提交'),
        text && d.input_at ? h('span', { class: 'muted' }, `（${formatDateTime(d.input_at)}）`) : null);
    })));
}

// ---- staff actions --------------------------------------------------------------------------------

const ACTIONS = {
  accept: { title: '受理', build: acceptForm },
  reject: { title: '不予受理', build: rejectForm },
  assign: { title: '交办', build: assignForm },
  return_decision: { title: '审核退回申请', build: returnDecisionForm },
  extension_decision: { title: '审核延期申请', build: extensionDecisionForm },
  close: { title: '办结', build: closeForm },
};

function actionsSection(c, done) {
  const allowed = (c.actions || []).map((a) => String(a).replace(/-/g, '_')).filter((a) => ACTIONS[a]);
  if (!allowed.length) return null;
  return h('section', { class: 'panel actions-panel' },
    h('h2', null, '办理操作'),
    allowed.map((a, i) => h('details', { class: 'action', open: i === 0 },
      h('summary', null, ACTIONS[a].title),
      ACTIONS[a].build(c, done))));
}

const casePath = (c, action) => `/api/staff/cases/${encodeURIComponent(c.case_id)}/${action}`;

function failed(err) {
  return sessionLost(err);
}

function radios(name, options, value) {
  const group = uid(name);
  return options.map((o) => {
    const id = uid(name);
    return h('div', { class: 'choice' },
      h('input', { type: 'radio', name: group, id, value: o.code, checked: o.code === value }),
      h('label', { for: id }, h('strong', null, o.label), o.hint ? h('span', { class: 'choice-hint' }, o.hint) : null));
  });
}

const checkedValue = (container) => {
  const el = container.querySelector('input[type=radio]:checked');
  return el ? el.value : '';
};

const URGENCY_WORDS = {
  urgent: '情况紧急或事项简单',
  general: '一般事项',
  complex: '涉及多个部门、需会商',
};

/** What an urgency means and, from the policy in force (the taxonomy's time limits), the
 * reply time it gives a case of this kind; the page writes no figure of its own. */
function urgencyHint(code, kind) {
  const table = tax && tax.time_limits ? tax.time_limits.reply_working_days || {} : {};
  const row = table[kind] || table.default || {};
  const days = row[code] || (table.default || {})[code];
  return [URGENCY_WORDS[code], days ? `${days} 个工作日内答复` : null, code === 'complex' ? '可设协办单位' : null]
    .filter(Boolean).join('，');
}

function acceptForm(c, done) {
  const urgency = fieldset({
    legend: '紧急程度', path: 'urgency', cls: 'choices',
    children: radios('urgency', optionsOf(tax, 'urgencies').map((o) => ({ ...o, hint: urgencyHint(o.code, c.kind) })), c.urgency || 'general'),
  });
  const category = select('category', optionsOf(tax, 'categories'), { value: c.category });
  const publish = h('input', { type: 'checkbox', id: uid('pub'), checked: Boolean(c.public), disabled: !c.public });
  const version = c.public ? publicVersionFields(c) : null;
  if (version) {
    const toggle = () => { version.element.hidden = !publish.checked; };
    publish.addEventListener('change', toggle);
  }
  return actionForm({
    children: [
      urgency,
      field({ label: '问题分类', control: category, path: 'category', hint: '留言人选择的分类不准确时可以更正' }),
      h('div', { class: 'field', dataset: { field: 'public' } },
        h('div', { class: 'choice' }, publish, h('label', { for: publish.id }, '同意在公开留言板展示')),
        h('p', { class: 'hint' }, c.public ? '留言人已同意公开。留言板展示下面的公开版本，不展示姓名和联系方式；请核对后再受理。' : '留言人未同意公开，不能公开展示。'),
        h('p', { class: 'field-error', hidden: true })),
      version ? version.element : null,
    ],
    collect() {
      const body = { urgency: checkedValue(urgency), public: publish.checked };
      if (category.value && category.value !== c.category) body.category = category.value;
      const errors = body.urgency ? [] : [{ field: 'urgency', message: '请选择紧急程度' }];
      if (version && body.public && version.changed()) {
        body.public_version = version.value();
        errors.push(...version.errors());
      }
      return { body, errors };
    },
    confirm: (body) => ({
      title: '确认受理',
      details: [
        ['紧急程度', labelOf(tax, 'urgencies', body.urgency)],
        ['问题分类', labelOf(tax, 'categories', body.category || c.category)],
        ['公开展示', body.public ? (body.public_version ? '是（使用编辑后的公开版本）' : '是') : '否'],
      ],
      confirmLabel: '确认受理',
    }),
    submit: (body) => staffPost(casePath(c, 'accept'), body),
    done: (v) => done(v, '已受理，请继续交办。'),
    failed,
    submitLabel: '受理',
  });
}

function rejectForm(c, done) {
  const code = select('reason_code', optionsOf(tax, 'reject_reasons'), { placeholder: '请选择' });
  const reason = h('textarea', { name: 'reason', rows: '3' });
  const dup = h('input', { type: 'text', name: 'duplicate_of', autocomplete: 'off' });
  const dupField = field({ label: '重复的原留言编号', control: dup, path: 'duplicate_of' });
  dupField.hidden = true;
  code.addEventListener('change', () => { dupField.hidden = code.value !== 'duplicate'; });
  return actionForm({
    intro: '不予受理的理由将告知留言人。',
    children: [
      field({ label: '不予受理原因', control: code, path: 'reason_code' }),
      dupField,
      field({ label: '说明', control: reason, path: 'reason', extra: counter(reason, 1000) }),
    ],
    collect() {
      const body = { reason_code: code.value, reason: reason.value.trim() };
      const errors = [];
      if (!body.reason_code) errors.push({ field: 'reason_code', message: '请选择不予受理原因' });
      if (!body.reason) errors.push({ field: 'reason', message: '请填写说明' });
      if (body.reason_code === 'duplicate') {
        body.duplicate_of = dup.value.trim();
        if (!body.duplicate_of) errors.push({ field: 'duplicate_of', message: '请填写原留言编号' });
      }
      return { body, errors };
    },
    confirm: (body) => ({
      title: '确认不予受理',
      message: '不予受理后本件结束，不能恢复。',
      details: [['原因', labelOf(tax, 'reject_reasons', body.reason_code)], ['原留言', body.duplicate_of || null], ['说明', truncate(body.reason, 120)]],
      confirmLabel: '确认不予受理',
      danger: true,
    }),
    submit: (body) => staffPost(casePath(c, 'reject'), body),
    done: (v) => done(v, '已不予受理，并已告知留言人。'),
    failed,
    submitLabel: '不予受理',
    cls: 'danger',
  });
}

/**
 * Lead select and co-handler checklist, each with a text filter. Departments whose
 * categories and district fit the case are listed first as suggestions.
 */
function departmentPicker(c, exclude = []) {
  const excluded = new Set(exclude);
  const fits = (d) => Array.isArray(d.categories) && d.categories.includes(c.category)
    && (d.district === c.district || d.district === 'city');
  const all = depts.filter((d) => !excluded.has(d.id));
  const suggested = new Set(all.filter(fits).map((d) => d.id));
  const choices = [...all.filter((d) => suggested.has(d.id)), ...all.filter((d) => !suggested.has(d.id))];
  const matches = (d, q) => !q || d.name.includes(q) || (d.district_label || '').includes(q);
  const leadFilter = h('input', { type: 'search', placeholder: '输入单位名称或区域筛选', autocomplete: 'off' });
  const lead = h('select', { name: 'lead', size: '6', class: 'listbox' });
  const coFilter = h('input', { type: 'search', placeholder: '输入单位名称或区域筛选', autocomplete: 'off' });
  const chosen = h('p', { class: 'hint', 'aria-live': 'polite' });
  const rows = choices.map((d) => {
    const id = uid('co');
    const box = h('input', { type: 'checkbox', id, value: d.id });
    const rowEl = h('div', { class: 'choice' }, box, h('label', { for: id }, d.name, d.district_label ? h('span', { class: 'muted' }, ` ${d.district_label}`) : null));
    return { d, box, rowEl };
  });
  const checklist = h('div', { class: 'checklist', role: 'group' }, rows.map((r) => r.rowEl));

  const renderLead = () => {
    const current = lead.value;
    const q = leadFilter.value.trim();
    const option = (d) => h('option', { value: d.id, selected: d.id === current }, d.district_label ? `${d.name}（${d.district_label}）` : d.name);
    const shown = choices.filter((d) => matches(d, q) || d.id === current);
    const top = shown.filter((d) => suggested.has(d.id));
    const rest = shown.filter((d) => !suggested.has(d.id));
    replace(lead,
      top.length ? h('optgroup', { label: '建议单位（分类、区域相符）' }, top.map(option)) : null,
      rest.length ? h('optgroup', { label: top.length ? '其他单位' : '全部单位' }, rest.map(option)) : null);
  };
  const renderCo = () => {
    const q = coFilter.value.trim();
    for (const r of rows) {
      r.rowEl.hidden = !(matches(r.d, q) || r.box.checked);
      r.box.disabled = r.d.id === lead.value;
      if (r.box.disabled) r.box.checked = false;
    }
    const names = rows.filter((r) => r.box.checked).map((r) => r.d.name);
    chosen.textContent = names.length ? `已选协办单位：${names.join('、')}` : '未选协办单位（可不选）';
  };
  leadFilter.addEventListener('input', renderLead);
  lead.addEventListener('change', renderCo);
  coFilter.addEventListener('input', renderCo);
  checklist.addEventListener('change', renderCo);
  renderLead();
  renderCo();

  const leadGroup = uid('lead');
  const coGroup = uid('cog');
  return {
    children: [
      h('div', { class: 'field picker', dataset: { field: 'lead' }, role: 'group', 'aria-labelledby': leadGroup },
        h('p', { class: 'label', id: leadGroup }, '牵头单位'),
        h('label', { class: 'visually-hidden', for: (leadFilter.id = uid('lf')) }, '筛选牵头单位'), leadFilter,
        h('label', { class: 'visually-hidden', for: (lead.id = uid('ls')) }, '选择牵头单位'), lead,
        h('p', { class: 'field-error', hidden: true })),
      h('div', { class: 'field picker', dataset: { field: 'co_handlers' }, role: 'group', 'aria-labelledby': coGroup },
        h('p', { class: 'label', id: coGroup }, '协办单位（可多选）'),
        h('label', { class: 'visually-hidden', for: (coFilter.id = uid('cf')) }, '筛选协办单位'), coFilter,
        checklist, chosen,
        h('p', { class: 'field-error', hidden: true })),
    ],
    value() {
      return { lead: lead.value, co_handlers: rows.filter((r) => r.box.checked && r.d.id !== lead.value).map((r) => r.d.id) };
    },
    names(ids) {
      return ids.map((id) => (depts.find((d) => d.id === id) || { name: id }).name).join('、');
    },
  };
}

function assignForm(c, done) {
  const picker = departmentPicker(c);
  return actionForm({
    intro: '牵头单位负责签收和答复；协办单位提供协办意见，由牵头单位统一答复。交办后办理链接将通过邮件发送给各单位。',
    children: picker.children,
    collect() {
      const body = picker.value();
      return { body, errors: body.lead ? [] : [{ field: 'lead', message: '请选择牵头单位' }] };
    },
    confirm: (body) => ({
      title: '确认交办',
      details: [['牵头单位', picker.names([body.lead])], ['协办单位', body.co_handlers.length ? picker.names(body.co_handlers) : '无']],
      confirmLabel: '确认交办',
    }),
    submit: (body) => staffPost(casePath(c, 'assign'), body),
    done: (v) => done(v, '已交办，办理链接已发送给承办单位。'),
    failed,
    submitLabel: '交办',
  });
}

function returnDecisionForm(c, done) {
  const returning = c.pending && c.pending.department ? [c.pending.department.id] : [];
  const decision = fieldset({
    legend: '审核决定', path: 'decision', cls: 'choices',
    children: radios('decision', [
      { code: 'reassign', label: '同意退回，改派其他单位' },
      { code: 'insist', label: '维持交办', hint: '仍由原单位办理' },
    ], ''),
  });
  const picker = departmentPicker(c, returning);
  const pickerBox = h('div', { class: 'subfields', hidden: true }, picker.children);
  decision.addEventListener('change', () => { pickerBox.hidden = checkedValue(decision) !== 'reassign'; });
  const note = h('textarea', { name: 'note', rows: '3' });
  return actionForm({
    children: [decision, pickerBox, field({ label: '审核意见', control: note, path: 'note', extra: counter(note, 1000) })],
    collect() {
      const body = { decision: checkedValue(decision), note: note.value.trim() };
      const errors = [];
      if (!body.decision) errors.push({ field: 'decision', message: '请选择审核决定' });
      if (body.decision === 'reassign') {
        Object.assign(body, picker.value());
        if (!body.lead) errors.push({ field: 'lead', message: '请选择新的牵头单位' });
      }
      if (!body.note) errors.push({ field: 'note', message: '请填写审核意见' });
      return { body, errors };
    },
    confirm: (body) => ({
      title: '确认审核决定',
      details: [
        ['决定', body.decision === 'reassign' ? '改派' : '维持交办'],
        ['新牵头单位', body.lead ? picker.names([body.lead]) : null],
        ['协办单位', body.co_handlers && body.co_handlers.length ? picker.names(body.co_handlers) : null],
        ['审核意见', truncate(body.note, 120)],
      ],
    }),
    submit: (body) => staffPost(casePath(c, 'return-decision'), body),
    done: (v) => done(v, '已处理退回申请。'),
    failed,
    submitLabel: '提交审核决定',
  });
}

function extensionDecisionForm(c, done) {
  const requested = c.pending && c.pending.working_days ? String(c.pending.working_days) : '';
  const decision = fieldset({
    legend: '审核决定', path: 'decision', cls: 'choices',
    children: radios('decision', [{ code: 'approve', label: '同意延期' }, { code: 'refuse', label: '不同意延期' }], ''),
  });
  const days = select('working_days', Array.from({ length: 10 }, (_, i) => ({ code: String(i + 1), label: `${i + 1} 个工作日` })), { value: requested });
  const daysField = field({ label: '批准延期天数', control: days, path: 'working_days', hint: requested ? `申请 ${requested} 个工作日` : null });
  daysField.hidden = true;
  decision.addEventListener('change', () => { daysField.hidden = checkedValue(decision) !== 'approve'; });
  const note = h('textarea', { name: 'note', rows: '3' });
  return actionForm({
    children: [decision, daysField, field({ label: '审核意见', control: note, path: 'note', extra: counter(note, 1000) })],
    collect() {
      const body = { decision: checkedValue(decision), note: note.value.trim() };
      const errors = [];
      if (!body.decision) errors.push({ field: 'decision', message: '请选择审核决定' });
      if (body.decision === 'approve') body.working_days = Number(days.value);
      if (!body.note) errors.push({ field: 'note', message: '请填写审核意见' });
      return { body, errors };
    },
    confirm: (body) => ({
      title: '确认审核决定',
      details: [['决定', body.decision === 'approve' ? `同意延期 ${body.working_days} 个工作日` : '不同意延期'], ['审核意见', truncate(body.note, 120)]],
    }),
    submit: (body) => staffPost(casePath(c, 'extension-decision'), body),
    done: (v) => done(v, '已处理延期申请。'),
    failed,
    submitLabel: '提交审核决定',
  });
}

function closeForm(c, done) {
  const note = h('textarea', { name: 'note', rows: '3' });
  return actionForm({
    intro: '本件经两次重办后留言人仍不满意，已转总平台。请写明总平台的处理情况后办结。',
    children: [field({ label: '办结说明', control: note, path: 'note', extra: counter(note, 1000) })],
    collect() {
      const body = { note: note.value.trim() };
      return { body, errors: body.note ? [] : [{ field: 'note', message: '请填写办结说明' }] };
    },
    confirm: (body) => ({ title: '确认办结', message: '办结后本件不再办理。', details: [['办结说明', truncate(body.note, 120)]], confirmLabel: '确认办结', danger: true }),
    submit: (body) => staffPost(casePath(c, 'close'), body),
    done: (v) => done(v, '已办结。'),
    failed,
    submitLabel: '办结',
  });
}

// ---- 回音壁 ---------------------------------------------------------------------------------------

// Limits from GET /api/schemas/feature (the schema the API checks), read once.
const FEATURE_LIMITS = { summary: 300, summaryMin: 2, beforeAfter: 300 };
let featureLimits = null;

function loadFeatureLimits() {
  featureLimits ||= get('/api/schemas/feature').then((schema) => {
    const props = (schema && schema.properties) || {};
    return {
      summary: (props.summary && props.summary.maxLength) || FEATURE_LIMITS.summary,
      summaryMin: (props.summary && props.summary.minLength) || FEATURE_LIMITS.summaryMin,
      beforeAfter: (props.before_after && props.before_after.maxLength) || FEATURE_LIMITS.beforeAfter,
    };
  }).catch(() => ({ ...FEATURE_LIMITS }));
  return featureLimits;
}

/** 精选到回音壁 on a closed public case (or editing its summary), and 撤下 while featured. */
function showcaseSection(c, done) {
  if (!c.can_feature && !c.featured) return null;
  const section = h('section', { class: 'panel actions-panel showcase-panel' }, h('h2', null, '回音壁'), loading());
  loadFeatureLimits().then((limits) => {
    const f = c.featured;
    replace(section,
      h('h2', null, '回音壁'),
      f ? h('div', { class: 'featured-now' },
        h('p', null, `已于 ${formatDateTime(f.featured_at)} 精选到回音壁（${f.featured_by_name || f.featured_by}）。`),
        h('p', { class: 'prewrap' }, `精选摘要：${f.summary}`),
        f.before_after ? h('p', { class: 'prewrap' }, `办理前后：${f.before_after}`) : null,
        h('p', null, h('a', { href: 'showcase.html' }, '查看回音壁'))) : null,
      c.can_feature ? h('details', { class: 'action', open: !f },
        h('summary', null, f ? '修改精选摘要' : '精选到回音壁'),
        featureForm(c, done, limits)) : null,
      f ? h('details', { class: 'action' },
        h('summary', null, '撤下'),
        unfeatureForm(c, done)) : null);
  });
  return section;
}

function featureForm(c, done, limits) {
  const f = c.featured;
  const summary = h('textarea', { name: 'summary', rows: '4' });
  summary.value = f ? f.summary : '';
  const beforeAfter = h('textarea', { name: 'before_after', rows: '3' });
  beforeAfter.value = f && f.before_after ? f.before_after : '';
  return actionForm({
    intro: '回音壁公开展示本件的标题、问题摘要（已遮盖个人信息）、承办单位的答复和留言人的评价（如实展示），不展示留言人姓名和联系方式。',
    children: [
      field({ label: '精选摘要', control: summary, path: 'summary', hint: `简要说明本件为什么值得展示，${limits.summaryMin}–${limits.summary} 字`, extra: counter(summary, limits.summary) }),
      field({ label: '办理前后对比（选填）', control: beforeAfter, path: 'before_after', hint: '例如：办理前路灯一周不亮；办理后已更换灯具，恢复照明', extra: counter(beforeAfter, limits.beforeAfter) }),
    ],
    collect() {
      const body = { summary: summary.value.trim() };
      const note = beforeAfter.value.trim();
      if (note) body.before_after = note;
      const errors = [];
      if ([...body.summary].length < limits.summaryMin) errors.push({ field: 'summary', message: `请填写精选摘要（至少 ${limits.summaryMin} 个字）` });
      if ([...body.summary].length > limits.summary) errors.push({ field: 'summary', message: `精选摘要不能超过 ${limits.summary} 个字` });
      if ([...note].length > limits.beforeAfter) errors.push({ field: 'before_after', message: `办理前后对比不能超过 ${limits.beforeAfter} 个字` });
      return { body, errors };
    },
    confirm: (body) => ({
      title: f ? '确认修改精选摘要' : '确认精选到回音壁',
      message: f ? null : '精选后本件将在回音壁公开展示。',
      details: [['精选摘要', truncate(body.summary, 120)], ['办理前后对比', body.before_after ? truncate(body.before_after, 120) : '无']],
      confirmLabel: f ? '确认修改' : '确认精选',
    }),
    submit: (body) => staffPost(casePath(c, 'feature'), body),
    done: (v) => done(v, f ? '已修改精选摘要。' : '已精选到回音壁。'),
    failed,
    submitLabel: f ? '保存修改' : '精选到回音壁',
  });
}

function unfeatureForm(c, done) {
  return actionForm({
    intro: '撤下后本件不再在回音壁展示，留言板上的公开内容不受影响。',
    children: [],
    collect: () => ({ body: {}, errors: [] }),
    confirm: () => ({ title: '确认撤下', message: '确认将本件从回音壁撤下？', confirmLabel: '确认撤下', danger: true }),
    submit: (body) => staffPost(casePath(c, 'unfeature'), body),
    done: (v) => done(v, '已从回音壁撤下。'),
    failed,
    submitLabel: '撤下',
    cls: 'danger',
  });
}

// ---- entry ----------------------------------------------------------------------------------------

function init() {
  const token = new URLSearchParams(location.hash.slice(1)).get('t');
  if (token) {
    // Take the single-use token out of the address bar (and history) before anything else.
    history.replaceState(null, '', location.pathname + location.search);
    exchange(token);
  } else if (staffSession()) {
    start();
  } else {
    signIn();
  }
}

init();
