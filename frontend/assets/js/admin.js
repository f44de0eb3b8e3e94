// 时限与工作日历设置: the deployment's working-day calendar overrides and SLA policy
// (GET/PUT /api/admin/calendar, /api/admin/policy), the 附议 thresholds, and for admins the
// directory (单位与账号目录, admin-directory.js). Admins edit; coordinators may read.
// Uses the staff session staff.js keeps in sessionStorage; every value goes in as text.
import { h, $, replace, uid } from './dom.js';
import { get, request, staffSession, clearStaffSession } from './api.js';
import { formatDateTime } from './format.js';
import { boundariesSection, placeCategoriesSection } from './admin-geo.js';
import { supportThresholdsSection } from './admin-support.js';
import { directorySection } from './admin-directory.js';
import {
  taxonomy, optionsOf, field, loading, alertBox, errorBox, errorSummary, clearFieldErrors,
  showFieldErrors, setBusy, badge, facts, FALLBACK,
} from './ui.js';

const app = $('#app');
const WEEKDAYS = ['日', '一', '二', '三', '四', '五', '六'];
const RECIPIENTS = { handler: '经办人', spokesperson: '新闻发言人', leader: '负责人', coordinator: '总平台', admin: '管理员' };
const TRIGGERS = { used: '时限已用', due: '到期', overdue: '超期' };
const LIMITS = [
  // [field, label, hint, min, max, step]
  ['triage_working_hours', '受理时限（工作小时）', '新留言提交后，总平台须在多少个工作小时内受理（或不予受理、并件）。', 1, 80, 0.5],
  ['response_working_hours', '签收时限（工作小时）', '交办后须在多少个工作小时内签收。', 1, 80, 0.5],
  ['reply_cap_working_days', '答复时限上限（工作日）', '含延期在内，答复时限从交办起最长不超过多少个工作日。', 1, 120, 1],
  ['return_window_working_days', '退回时限（工作日）', '交办后多少个工作日内可申请退回。', 0, 10, 1],
  ['extension_max_working_days', '单次延期上限（工作日）', '不超过 10 个工作日。', 1, 10, 1],
  ['extensions_allowed', '可延期次数', null, 0, 5, 1],
  ['rating_window_days', '评价期（自然日）', '答复后留言人可评价的天数。', 1, 60, 1],
  ['reopens_before_escalation', '转总平台前的重办次数', '留言人不满意时退回原单位重办的次数，之后转总平台研究处理。', 0, 5, 1],
  ['info_requests_allowed', '可请留言人补充材料次数', '承办单位每件诉求最多可请留言人补充材料的次数，等待期间答复时限暂停计时。', 0, 5, 1],
  ['supplement_working_days', '留言人补充材料期限（工作日）', '逾期未补充的，恢复计时，承办单位依现有材料办理。', 1, 30, 1],
];

const adminPut = (path, body) => request(path, { method: 'PUT', body, staff: true });
const adminGet = (path) => get(path, { staff: true });

function signInFirst(message) {
  replace(app, h('section', { class: 'panel narrow' },
    h('h1', null, '时限与工作日历设置'),
    alertBox(message, 'info'),
    h('p', null, h('a', { href: 'staff.html', class: 'btn btn-primary' }, '前往工作人员登录'))));
}

function sessionLost(err) {
  if (err && err.status === 401) {
    clearStaffSession();
    signInFirst('登录已过期或已在别处退出，请重新登录后再打开本页。');
    return true;
  }
  return false;
}

/** "2026-11-04" → "2026-11-04（周三）". */
function dayLabel(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return `${iso}（周${WEEKDAYS[weekday]}）`;
}

function updatedLine(doc) {
  return doc.updated_at
    ? h('p', { class: 'muted' }, `最近修改：${doc.updated_by || ''} · ${formatDateTime(doc.updated_at)}`)
    : h('p', { class: 'muted' }, '尚未修改，当前为系统默认设置。');
}

// ---- the calendar ---------------------------------------------------------------------------

/** An editable, sorted list of dates: a date input, 添加, and 删除 per date. */
function dateList({ label, hint, path, values, editable }) {
  let dates = [...values];
  const list = h('ul', { class: 'plain-list date-list' });
  const input = h('input', { type: 'date', min: '2000-01-01', max: '2100-12-31', 'aria-label': `${label}：选择日期` });
  const add = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, '添加');
  const render = () => {
    replace(list, dates.length ? dates.map((d) => h('li', null, dayLabel(d), ' ',
      editable ? h('button', {
        type: 'button', class: 'btn btn-link', 'aria-label': `删除 ${d}`,
        onclick: () => { dates = dates.filter((x) => x !== d); render(); },
      }, '删除') : null)) : h('li', { class: 'muted' }, '（无）'));
  };
  add.addEventListener('click', () => {
    const value = input.value;
    if (value && !dates.includes(value)) dates = [...dates, value].sort();
    input.value = '';
    render();
    input.focus();
  });
  render();
  const errorId = uid('err');
  const box = h('fieldset', { class: 'field', dataset: { field: path }, 'aria-describedby': errorId },
    h('legend', null, label),
    hint ? h('p', { class: 'hint' }, hint) : null,
    list,
    editable ? h('div', { class: 'form-actions' }, input, add) : null,
    h('p', { class: 'field-error', id: errorId, hidden: true }));
  return { element: box, values: () => dates };
}

function calendarSection(doc, editable, message = null) {
  const holidays = dateList({
    label: '增加的休息日', path: 'extra_holidays', values: doc.extra_holidays, editable,
    hint: '法定节假日之外本地另行放假的日期（如临时停工日）。',
  });
  const workdays = dateList({
    label: '增加的工作日', path: 'extra_workdays', values: doc.extra_workdays, editable,
    hint: '本应休息但需要上班的日期（本地调休）。',
  });
  const official = doc.official || {};
  const year = h('input', { type: 'number', name: 'confirmed_through', min: 2000, max: 2100, step: 1, value: String(doc.confirmed_through), disabled: !editable });
  const opens = h('input', { type: 'time', name: 'opens', step: 60, value: doc.office_hours.opens, disabled: !editable });
  const closes = h('input', { type: 'time', name: 'closes', step: 60, value: doc.office_hours.closes, disabled: !editable });
  const yearWarning = h('div', { 'aria-live': 'polite' });
  const checkYear = () => {
    const through = official.make_up_workdays_through;
    replace(yearWarning, through && Number(year.value) > through
      ? alertBox(`已安装的节假日数据（holidays ${official.holidays_version || ''}）只含 ${through} 年及以前的调休安排；确认更晚的年度前，请先升级节假日数据。`, 'warning')
      : null);
  };
  year.addEventListener('input', checkYear);
  checkYear();

  const summary = h('div', { 'aria-live': 'assertive' });
  const saved = h('div', { 'aria-live': 'polite' }, message);
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, '保存工作日历');
  const form = h('form', { class: 'form panel', novalidate: true },
    h('h2', null, '工作日历'),
    h('p', { class: 'hint' }, '工作日按国务院公布的法定节假日和调休安排计算；此处的设置只对新计算的时限生效，已交办案件的时限不变。'),
    updatedLine(doc),
    summary,
    holidays.element,
    workdays.element,
    field({
      label: '已确认放假安排的年度', control: year, path: 'confirmed_through',
      hint: `截止到该年度的时限按正式放假安排计算；更晚年度的时限按规则推算，并提示“时限按规则推算（该年度放假安排尚未公布）”。未设置时按部署配置（${doc.confirmed_through_default} 年）。`,
      extra: yearWarning,
    }),
    h('div', { class: 'grid-2' },
      field({ label: '上班时间', control: opens, path: 'office_hours.opens', hint: '签收时限按办公时间内的工作小时计算。' }),
      field({ label: '下班时间', control: closes, path: 'office_hours.closes' })),
    editable ? h('div', { class: 'form-actions' }, button, saved) : null);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!editable || button.disabled) return;
    clearFieldErrors(form);
    summary.replaceChildren();
    saved.replaceChildren();
    const body = {
      extra_holidays: holidays.values(),
      extra_workdays: workdays.values(),
      confirmed_through: Number(year.value),
      office_hours: { opens: opens.value, closes: closes.value },
    };
    setBusy(button, true, '正在保存…');
    try {
      const stored = await adminPut('/api/admin/calendar', body);
      form.replaceWith(calendarSection(stored, editable, alertBox('工作日历已保存，新计算的时限将按此执行。', 'success')));
    } catch (err) {
      setBusy(button, false);
      if (sessionLost(err)) return;
      const unplaced = showFieldErrors(form, err.fields);
      replace(summary, errorSummary(err, (err.fields || []).length ? err.fields.map((f) => f.message) : unplaced));
    }
  });
  return form;
}

// ---- the SLA policy -------------------------------------------------------------------------

function numberInput(name, value, min, max, step, editable, label) {
  return h('input', {
    type: 'number', name, min, max, step, inputmode: step < 1 ? 'decimal' : 'numeric',
    value: value === undefined || value === null ? '' : String(value), disabled: !editable,
    'aria-label': label,
  });
}

/** The kind × urgency table of reply working days; empty cells of a kind follow 通用. */
function replyTable(tax, table, editable) {
  const urgencies = optionsOf(tax, 'urgencies');
  const rows = [{ code: 'default', label: '通用（各类型）' }, ...optionsOf(tax, 'kinds')];
  const inputs = {};
  const body = rows.map((row) => h('tr', null,
    h('th', { scope: 'row' }, row.label),
    urgencies.map((u) => {
      const path = `reply_working_days.${row.code}.${u.code}`;
      const value = (table[row.code] || {})[u.code];
      const input = numberInput(path, value, 1, 120, 1, editable, `${row.label} · ${u.label}（工作日）`);
      if (row.code !== 'default') input.placeholder = '同通用';
      else input.required = true;
      inputs[path] = { row: row.code, urgency: u.code, input };
      return h('td', null, h('div', { class: 'field', dataset: { field: path } }, input,
        h('p', { class: 'field-error', hidden: true })));
    })));
  const element = h('fieldset', { class: 'field', dataset: { field: 'reply_working_days' } },
    h('legend', null, '答复时限（工作日）'),
    h('p', { class: 'hint' }, '按诉求类型和紧急程度设置；某类型留空的格子按“通用”一行计算。'),
    h('div', { class: 'table-scroll' }, h('table', { class: 'data-table' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, '类型'), urgencies.map((u) => h('th', { scope: 'col' }, u.label)))),
      h('tbody', null, body))),
    h('p', { class: 'field-error', hidden: true }));
  const collect = () => {
    const out = {};
    for (const { row, urgency, input } of Object.values(inputs)) {
      if (input.value === '') continue;
      out[row] = out[row] || {};
      out[row][urgency] = Number(input.value);
    }
    return out;
  };
  return { element, collect };
}

function ladderList(ladder) {
  return h('ul', { class: 'plain-list' }, ladder.map((r) => {
    const when = r.trigger === 'used' ? `时限已用 ${Math.round(r.amount * 100)}%`
      : r.trigger === 'due' ? '到期时' : `超期 ${r.amount} 个工作日`;
    const who = (r.recipients || []).map((x) => RECIPIENTS[x] || x).join('、');
    return h('li', null, h('strong', null, r.label), `：${when}，通知${who}${r.sms ? '（含短信）' : ''}`,
      r.card ? ' ' : null, r.card ? badge(r.card === 'red' ? '红牌' : '黄牌', `sla-card sla-card-${r.card}`) : null,
      h('span', { class: 'muted' }, `（${TRIGGERS[r.trigger] || r.trigger}）`));
  }));
}

// 答复审核 (§15): per level, the kinds of case whose replies the platform reviews before the citizen reads them.
const REVIEW_LEVELS = [
  ['city', '市级平台审核市直单位'],
  ['county', '县（区）平台审核本级单位'],
];

function reviewTable(tax, doc, editable) {
  const current = doc.reply_review || {};
  const kinds = optionsOf(tax, 'kinds');
  const boxes = [];
  const body = kinds.map((kind) => h('tr', null,
    h('th', { scope: 'row' }, kind.label),
    REVIEW_LEVELS.map(([level, label]) => {
      const box = h('input', {
        type: 'checkbox', name: `reply_review.${level}`, value: kind.code, disabled: !editable,
        'aria-label': `${label}对“${kind.label}”的答复`,
      });
      box.checked = (current[level] || []).includes(kind.code);
      boxes.push({ level, kind: kind.code, box });
      return h('td', null, box);
    })));
  const element = h('fieldset', { class: 'field', dataset: { field: 'reply_review' } },
    h('legend', null, '答复审核'),
    h('p', { class: 'hint' }, '勾选的诉求类型，承办单位的答复先由办理该件的平台审核，审核通过才告知留言人；退回的，原答复时限不变。'),
    h('div', { class: 'table-scroll' }, h('table', { class: 'data-table review-table' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, '类型'),
        REVIEW_LEVELS.map(([, label]) => h('th', { scope: 'col' }, label)))),
      h('tbody', null, body))),
    h('p', { class: 'field-error', hidden: true }));
  const collect = () => Object.fromEntries(REVIEW_LEVELS.map(([level]) => [
    level, boxes.filter((b) => b.level === level && b.box.checked).map((b) => b.kind)]));
  return { element, collect };
}

function policySection(tax, doc, editable, message = null) {
  const table = replyTable(tax, doc.reply_working_days, editable);
  const review = reviewTable(tax, doc, editable);
  const limits = LIMITS.map(([name, label, hint, min, max, step]) => ({
    name, input: numberInput(name, doc[name], min, max, step, editable, label), label, hint,
  }));
  const summary = h('div', { 'aria-live': 'assertive' });
  const saved = h('div', { 'aria-live': 'polite' }, message);
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, '保存时限规则');
  const defaults = h('button', { type: 'button', class: 'btn btn-secondary' }, '填入默认值');
  const form = h('form', { class: 'form panel', novalidate: true },
    h('h2', null, '时限规则'),
    h('p', { class: 'hint' }, '修改只对此后交办、延期、重办时计算的时限生效，已有时限不变。'),
    updatedLine(doc),
    summary,
    table.element,
    h('div', { class: 'grid-2' }, limits.map((l) => field({ label: l.label, control: l.input, path: l.name, hint: l.hint }))),
    review.element,
    h('section', null, h('h3', null, '提醒与督办'),
      h('p', { class: 'hint' }, '提醒规则可通过 PUT /api/admin/policy 的 ladder 字段修改，保存本页时保持不变。'),
      ladderList(doc.ladder || []),
      h('h3', null, '受理督办'),
      h('p', { class: 'hint' }, '待受理留言超过受理时限时提醒总平台，可通过 PUT /api/admin/policy 的 triage_ladder 字段修改。'),
      ladderList(doc.triage_ladder || [])),
    editable ? h('div', { class: 'form-actions' }, button, defaults, saved) : null);
  defaults.addEventListener('click', () => {
    const filled = { ...doc.defaults, defaults: doc.defaults, updated_by: doc.updated_by, updated_at: doc.updated_at };
    form.replaceWith(policySection(tax, filled, editable, alertBox('已填入默认值，保存后生效。', 'info')));
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!editable || button.disabled) return;
    clearFieldErrors(form);
    summary.replaceChildren();
    saved.replaceChildren();
    const body = {
      reply_working_days: table.collect(), ladder: doc.ladder, triage_ladder: doc.triage_ladder, reply_review: review.collect(),
    };
    for (const l of limits) {
      if (l.input.value !== '') body[l.name] = Number(l.input.value);
    }
    setBusy(button, true, '正在保存…');
    try {
      const stored = await adminPut('/api/admin/policy', body);
      form.replaceWith(policySection(tax, stored, editable, alertBox('时限规则已保存，新计算的时限将按此执行。', 'success')));
    } catch (err) {
      setBusy(button, false);
      if (sessionLost(err)) return;
      const unplaced = showFieldErrors(form, err.fields);
      replace(summary, errorSummary(err, (err.fields || []).length ? err.fields.map((f) => f.message) : unplaced));
    }
  });
  return form;
}

// ---- the page -------------------------------------------------------------------------------

async function start() {
  const session = staffSession();
  if (!session || !session.session_token) {
    signInFirst('请先以管理员或总平台账号登录工作人员页面，再打开本页。');
    return;
  }
  replace(app, loading());
  let me;
  let calendar;
  let policy;
  let tax;
  let shapes;
  let places;
  let thresholds;
  try {
    me = await adminGet('/api/staff/me');
    [calendar, policy, tax, shapes, places, thresholds] = await Promise.all([
      adminGet('/api/admin/calendar'),
      adminGet('/api/admin/policy'),
      taxonomy().catch(() => null),
      get('/api/geo/districts').catch(() => ({ type: 'FeatureCollection', features: [] })),
      adminGet('/api/admin/place-categories'),
      adminGet('/api/admin/support-thresholds'),
    ]);
  } catch (err) {
    if (sessionLost(err)) return;
    if (err.status === 403) {
      replace(app, h('section', { class: 'panel narrow' }, h('h1', null, '时限与工作日历设置'),
        alertBox('当前账号无权查看此页面：只有管理员和总平台可以查看。', 'info'),
        h('p', null, h('a', { href: 'staff.html' }, '返回工作人员页面'))));
      return;
    }
    replace(app, errorBox(err, start));
    return;
  }
  const editable = me.role === 'admin';
  replace(app,
    h('div', { class: 'staff-bar' },
      h('p', null, '已登录：', me.name ? `${me.name} ` : '', h('strong', { class: 'staff-email' }, me.email || ''), ' ',
        badge(FALLBACK.roles[me.role] || me.role, 'role')),
      h('a', { href: 'staff.html', class: 'btn btn-secondary btn-small' }, '返回工作台')),
    h('h1', null, '时限与工作日历设置'),
    editable ? null : alertBox('总平台账号只能查看；如需修改请联系管理员。', 'info'),
    facts([
      ['节假日数据', calendar.official ? `holidays ${calendar.official.holidays_version || ''}` : null],
      ['调休数据截至', calendar.official && calendar.official.make_up_workdays_through ? `${calendar.official.make_up_workdays_through} 年` : null],
    ], 'facts facts-compact'),
    calendarSection(calendar, editable),
    policySection(tax, policy, editable),
    boundariesSection(shapes, tax, editable),
    placeCategoriesSection(places, editable),
    supportThresholdsSection(tax, thresholds, editable),
    editable ? directorySection(tax) : null);
}

start();
