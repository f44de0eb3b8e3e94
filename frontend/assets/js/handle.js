// 部门办理 (magic link): the token comes from location.hash (#t=…) and travels only in the
// X-Link-Token header. GET shows; every action is a confirmed POST that returns the new view.
import { h, $, replace } from './dom.js';
import { get, post, newKey } from './api.js';
import { formatDateTime, todayInShanghai } from './format.js';
import {
  taxonomy, departments, optionsOf, field, select, counter, loading, alertBox, errorBox, badge,
  deadlineBadge, facts, truncate, FALLBACK, confirmDialog, setBusy,
} from './ui.js';
import {
  caseHeading, caseFacts, caseContent, photosSection, contactSection, repliesSection, timelineSection, provisionalNote, infoRequestsSection, pausedBadge,
} from './caseview.js';
import { actionForm } from './actions.js';
import { lifecycle, withDepartment, actionLabel, actionPath, bodyLimits } from './lifecycle.js';
import { photoPicker } from './photos.js';

const app = $('#app');
const token = new URLSearchParams(location.hash.slice(1)).get('t') || '';
let tax = null;

const DEADLINE_LABELS = {
  response_due_at: '签收时限',
  reply_due_at: '答复时限',
  input_due_at: '协办时限',
  return_until: '退回期限',
  return_due_at: '退回期限',
};

const call = (path, body, options = {}) => post(path, body, { ...options, linkToken: token });

async function load(message) {
  if (!token) {
    invalidLink('链接不完整：地址中缺少办理凭证。请从邮件中完整打开链接。');
    return;
  }
  replace(app, loading('正在打开办理页面…'));
  try {
    const [view, t] = await Promise.all([
      get('/api/handle', { linkToken: token }), taxonomy().catch(() => null), lifecycle().catch(() => null)]);
    tax = t;
    render(view, message);
  } catch (err) {
    if (!linkEnded(err)) replace(app, errorBox(err, () => load()));
  }
}

function linkEnded(err) {
  if (err.status === 401 || err.status === 410) {
    invalidLink(err.message);
    return true;
  }
  return false;
}

function deadlineRows(view) {
  const c = view.case || {};
  const d = view.deadlines && typeof view.deadlines === 'object' ? { ...view.deadlines } : {};
  if (!('response_due_at' in d) && c.response_due_at) d.response_due_at = c.response_due_at;
  if (!('reply_due_at' in d) && c.reply_due_at) d.reply_due_at = c.reply_due_at;
  const a = c.assignment;
  if (a && a.return_window_ends_at && !('return_until' in d) && view.actions && view.actions.includes('return')) d.return_until = a.return_window_ends_at;
  const mine = a && view.role === 'co_handler' && view.department
    ? (a.co_handlers || []).find((x) => x.id === view.department.id) : null;
  if (view.role === 'co_handler') delete d.response_due_at; // the lead's clock, not theirs
  if (mine && mine.input_due_at && !('input_due_at' in d)) {
    d.input_due_at = mine.input_due_at;
    if (mine.input) delete d.input_due_at;
  }
  const rows = [];
  for (const [key, value] of Object.entries(d)) {
    if (typeof value !== 'string' || !DEADLINE_LABELS[key]) continue;
    let running = withDepartment(c.state) && key !== 'return_until';
    let stopped = key === 'reply_due_at' ? pausedBadge(c) : null;
    if (key === 'response_due_at' && c.state !== 'assigned') {
      running = false;
      stopped = a && a.signed_at ? badge('已签收', 'done') : null;
    }
    const label = key === 'reply_due_at' && view.role === 'co_handler' ? '牵头答复时限' : DEADLINE_LABELS[key];
    rows.push([label, h('span', { class: 'deadline' },
      h('span', { class: 'deadline-time' }, formatDateTime(value)),
      running ? deadlineBadge(value, { apiOverdue: key === 'reply_due_at' && c.overdue }) : stopped)]);
  }
  // A co-handler's own clock first.
  return view.role === 'co_handler' ? rows.sort((x, y) => (y[0] === '协办时限') - (x[0] === '协办时限')) : rows;
}

function render(view, message) {
  const c = view.case || {};
  const role = view.role;
  const roleLabel = view.role_label || FALLBACK.roles[role] || role;
  const actions = Array.isArray(view.actions) ? view.actions : [];
  const deadlines = deadlineRows(view);
  const assignment = c.assignment || null;

  replace(app,
    h('div', { class: 'handle' },
      message ? h('div', { class: 'alert alert-success', role: 'status', tabindex: '-1' }, h('p', null, message)) : null,
      h('section', { class: 'panel handle-who' },
        h('p', { class: 'eyebrow' }, '部门办理'),
        h('p', { class: 'who' }, h('strong', null, view.department ? view.department.name : ''), ' ', badge(roleLabel, `role role-${role}`)),
        h('p', { class: 'muted' }, role === 'co_handler'
          ? '贵单位是本件的协办单位：请向牵头单位提供协办意见，由牵头单位统一答复留言人。'
          : '贵单位是本件的牵头单位：请及时签收，并在答复时限内答复留言人。')),
      deadlines.length ? h('section', { class: 'panel' }, h('h2', null, '办理时限'), facts(deadlines, 'facts facts-deadlines'), provisionalNote(c)) : null,
      pendingNotice(c.pending),
      reviewNotice(c.reply_review),
      waitingNotice(c.info_request),
      followupNotice(view.followup),
      c.info_request && !actions.length ? null : actionsPanel(actions, view),
      caseHeading(c, 'h1'),
      h('section', { class: 'panel' }, caseFacts(c, { showName: false, deadlines: false })),
      caseContent(c),
      photosSection(c),
      infoRequestsSection(c.info_requests),
      contactSection(c.contact, h('p', { class: 'muted' }, '留言人联系方式仅用于办理本件，请勿外传。')),
      assignment && assignment.co_handlers && assignment.co_handlers.length
        ? coHandlerInputs(role === 'lead' ? assignment.co_handlers : assignment.co_handlers.filter((d) => view.department && d.id === view.department.id))
        : null,
      c.reply_review && c.reply_review.draft
        ? repliesSection([c.reply_review.draft], { title: '待审核的答复', intro: h('p', { class: 'muted' }, '平台审核通过后告知留言人。') })
        : null,
      repliesSection(c.replies, { emptyText: '尚未答复。' }),
      timelineSection(c.events || c.timeline)));
  const first = app.querySelector('.alert[tabindex]');
  if (first) first.focus();
}

/** 答复审核: the reply waits for the platform's review, or the platform returned it with a note. */
function reviewNotice(review) {
  if (!review) return null;
  if (review.waiting) {
    return alertBox('贵单位的答复已提交，正在等待平台审核；审核通过后告知留言人，如被退回将通过邮件通知贵单位。', 'info');
  }
  if (!review.returned_note) return null;
  return alertBox('平台退回了贵单位的答复，请根据审核意见修改后重新答复（答复时限不变）。', 'warning',
    h('p', null, `审核意见：${review.returned_note}`),
    review.returned_at ? h('p', { class: 'muted' }, `退回时间：${formatDateTime(review.returned_at)}`) : null);
}

function pendingNotice(pending) {
  if (!pending) return null;
  const what = pending.type === 'extension' ? `延期 ${pending.working_days || ''} 个工作日` : '退回';
  return alertBox(`已申请${what}，正在等待总平台审核。`, 'info',
    pending.reason ? h('p', { class: 'muted' }, `申请理由：${pending.reason}`) : null);
}

// 补充材料: the lead asked the citizen; the reply clock stands still until the answer comes.
function waitingNotice(request) {
  if (!request) return null;
  return h('section', { class: 'alert alert-info waiting' },
    h('p', { class: 'alert-title' }, `等待留言人补充材料，答复时限暂停计时，留言人最迟于 ${formatDateTime(request.due_at)} 前补充`),
    h('p', null, '需补充的材料：'),
    h('p', { class: 'prewrap' }, request.question),
    h('p', { class: 'muted' }, '留言人补充后将通知贵单位，答复时限恢复计时并顺延等待的工作时间；逾期未补充的，请依现有材料办理。'));
}

// 列入计划: the promised date passed and the platform asked how it went (no online action).
function followupNotice(followup) {
  if (!followup || !followup.message) return null;
  return h('section', { class: 'panel' }, h('h2', null, '催报计划落实情况'), alertBox(followup.message, 'info'));
}

function coHandlerInputs(list) {
  return h('section', { class: 'panel' },
    h('h2', null, '协办单位意见'),
    h('ul', { class: 'plain-list' }, list.map((d) => {
      const input = d.input;
      const text = input && typeof input === 'object' ? input.text : input;
      const at = d.input_at || (input && input.at);
      return h('li', null, h('strong', null, d.name), '：',
        text ? h('span', { class: 'prewrap' }, text) : h('span', { class: 'muted' }, d.input_due_at ? `尚未提交（时限 ${formatDateTime(d.input_due_at)}）` : '尚未提交'),
        text && at ? h('span', { class: 'muted' }, `（${formatDateTime(at)}）`) : null);
    })));
}

// The actions this page has a form for; the lifecycle names them and says where they go.
const PRIMARY = new Set(['sign', 'reply', 'input']);

function actionsPanel(offered, view) {
  const actions = offered.filter((a) => (a === 'sign' || FORMS[a]) && actionPath(a));
  if (!actions.length) {
    return h('section', { class: 'panel' }, h('h2', null, '办理操作'), offered.length
      ? alertBox('办理操作暂时无法显示，请稍后刷新页面重试。', 'error', h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => load() }, '重试'))
      : h('p', { class: 'muted' }, '当前没有需要贵单位操作的事项。'));
  }
  const area = h('div', { class: 'action-area' });
  const buttons = actions.map((a) => {
    const btn = h('button', { type: 'button', class: `btn ${PRIMARY.has(a) ? 'btn-primary' : 'btn-secondary'} btn-block`, 'aria-expanded': 'false' }, actionLabel(a));
    const send = (body, options) => call(actionPath(a), body, options);
    btn.addEventListener('click', async () => {
      if (a === 'sign') {
        signAction(btn, area, send);
        return;
      }
      const open = btn.getAttribute('aria-expanded') === 'true';
      for (const b of buttons) b.setAttribute('aria-expanded', 'false');
      if (open) {
        area.replaceChildren();
        return;
      }
      btn.setAttribute('aria-expanded', 'true');
      replace(area, loading());
      const form = await FORMS[a](view, send);
      if (btn.getAttribute('aria-expanded') !== 'true') return; // another button was pressed meanwhile
      replace(area, form);
      const firstInput = area.querySelector('select, textarea, input');
      if (firstInput) firstInput.focus();
    });
    return btn;
  });
  return h('section', { class: 'panel actions-panel' },
    h('h2', null, '办理操作'),
    h('div', { class: 'action-buttons' }, buttons),
    area);
}

async function signAction(button, area, send) {
  const ok = await confirmDialog({
    title: '确认签收',
    message: '签收即表示贵单位已收到本件并开始办理。请在答复时限内答复留言人。',
    confirmLabel: '确认签收',
  });
  if (!ok) return;
  setBusy(button, true, '正在签收…');
  // The key stays with the button until the signing is answered: a retry replays it.
  button.dataset.idempotencyKey ||= newKey();
  try {
    render(await send({}, { idempotencyKey: button.dataset.idempotencyKey }), '已签收。请在答复时限内答复留言人。');
  } catch (err) {
    setBusy(button, false);
    if (!failed(err)) replace(area, errorBox(err));
  }
}

function failed(err) {
  if (linkEnded(err)) return true;
  if (err.status === 409) {
    load(null).then(() => {
      const area = app.querySelector('.handle');
      if (area) area.prepend(alertBox(err.message, 'error'));
    });
    return true;
  }
  return false;
}

// One form per action name: (view, send(body) → Promise<view>) → the form (or a promise of it).
const FORMS = {
  reply(view, send) {
    const outcome = select('outcome', optionsOf(tax, 'outcomes'), { placeholder: '请选择答复类型' });
    const text = h('textarea', { name: 'text', rows: '8' });
    const planned = h('input', { type: 'date', name: 'planned_date', min: todayInShanghai() });
    const plannedField = field({ label: '承诺完成日期', control: planned, path: 'planned_date', hint: '列入计划的，须承诺完成日期，该日期将告知留言人并公开。' });
    plannedField.hidden = true;
    outcome.addEventListener('change', () => { plannedField.hidden = outcome.value !== 'scheduled'; });
    const photos = photoPicker({ label: '办理照片（选填）', hint: '可附办理前后的现场照片，最多 6 张；公开的留言会随答复展示。' });
    // 答复模板 (§16): the unit's templates, this case's placeholders already filled by the
    // server; picking one puts it in the textarea to edit. Only a draft: the reply's own
    // checks (minimum length, 答复审核) apply as to any reply.
    const templates = view.templates || [];
    let templateField = null;
    if (templates.length) {
      const pick = h('select', { name: 'template' },
        h('option', { value: '' }, '不使用模板'),
        ...templates.map((t, i) => h('option', { value: String(i) }, t.name)));
      pick.addEventListener('change', () => {
        const chosen = templates[Number(pick.value)];
        if (!pick.value || !chosen) return;
        if (text.value.trim() && text.value.trim() !== chosen.text && !window.confirm('用模板替换已填写的答复内容？')) {
          pick.value = '';
          return;
        }
        text.value = chosen.text;
        text.dispatchEvent(new Event('input', { bubbles: true }));
        text.focus();
      });
      templateField = field({ label: '答复模板（选填）', control: pick, path: 'template', hint: '选择本单位的答复模板，编号、标题、日期已自动填入，请按实际情况修改后提交。' });
    }
    return actionForm({
      title: '答复留言人',
      intro: '答复将发送给留言人；公开的留言还会在留言板上展示。请使用规范、易懂的语言，写明办理情况和结果。',
      children: [
        field({ label: '答复类型', control: outcome, path: 'outcome', hint: '已解决：问题已办结；已解释说明：因政策等原因无法办理，说明理由；列入计划：需要时间办理，承诺完成日期。' }),
        templateField,
        field({ label: '答复内容', control: text, path: 'text', extra: counter(text, 5000) }),
        plannedField,
        photos.element,
      ],
      collect() {
        const body = { outcome: outcome.value, text: text.value.trim() };
        const errors = [];
        if (photos.busy()) errors.push({ field: 'photos', message: '照片仍在上传，请稍候再提交' });
        else if (photos.failed()) errors.push({ field: 'photos', message: '有照片未能上传，请删除或重新添加后再提交' });
        if (photos.ids().length) body.photos = photos.ids();
        if (!body.outcome) errors.push({ field: 'outcome', message: '请选择答复类型' });
        if (!body.text) errors.push({ field: 'text', message: '请填写答复内容' });
        if (body.outcome === 'scheduled') {
          body.planned_date = planned.value;
          if (!planned.value) errors.push({ field: 'planned_date', message: '列入计划的答复须填写承诺完成日期' });
        }
        return { body, errors };
      },
      confirm: (body) => ({
        title: '确认提交答复',
        message: '答复提交后将通知留言人，不能修改。',
        details: [
          ['答复类型', outcome.selectedOptions[0] ? outcome.selectedOptions[0].textContent : body.outcome],
          ['承诺完成日期', body.planned_date || null],
          ['答复内容', truncate(body.text, 120)],
          ['办理照片', body.photos ? `${body.photos.length} 张` : null],
        ],
        confirmLabel: '确认答复',
      }),
      submit: send,
      done: (view) => render(view, '答复已提交，已通知留言人。'),
      failed,
      submitLabel: '提交答复',
    });
  },

  extension(view, send) {
    // The figures come from the policy in force (the view's limits), never from this page.
    const limits = view.limits || {};
    const most = Number(limits.extension_max_working_days) || 0;
    const left = Number(limits.extensions_left) || 0;
    const days = select('working_days', Array.from({ length: most }, (_, i) => ({ code: String(i + 1), label: `${i + 1} 个工作日` })), { placeholder: '请选择' });
    const reason = h('textarea', { name: 'reason', rows: '4' });
    const rule = most ? `单次最多延期 ${most} 个工作日${left ? `，本件还可申请 ${left} 次` : ''}` : '';
    return actionForm({
      title: '申请延期',
      intro: `确需更多时间办理的，请在答复时限前申请，由总平台审核${rule ? `（${rule}）` : ''}。`,
      children: [
        field({ label: '延期天数', control: days, path: 'working_days' }),
        field({ label: '延期理由', control: reason, path: 'reason', extra: counter(reason, 1000) }),
      ],
      collect() {
        const body = { working_days: Number(days.value), reason: reason.value.trim() };
        const errors = [];
        if (!days.value) errors.push({ field: 'working_days', message: '请选择延期天数' });
        if (!body.reason) errors.push({ field: 'reason', message: '请填写延期理由' });
        return { body, errors };
      },
      confirm: (body) => ({
        title: '确认申请延期',
        details: [['延期天数', `${body.working_days} 个工作日`], ['延期理由', truncate(body.reason, 120)]],
        confirmLabel: '确认申请',
      }),
      submit: send,
      done: (view) => render(view, '延期申请已提交，请等待总平台审核。审核前请按原时限办理。'),
      failed,
      submitLabel: '提交延期申请',
    });
  },

  return(view, send) {
    const reason = h('textarea', { name: 'reason', rows: '4' });
    const a = (view.case || {}).assignment || {};
    const until = a.return_window_ends_at ? `在 ${formatDateTime(a.return_window_ends_at)} 前` : '在退回期限内';
    return actionForm({
      title: '申请退回',
      intro: `本件确实不属于贵单位职责的，可${until}申请退回，请写明理由和建议的承办单位。由总平台决定改派或维持交办。`,
      children: [field({ label: '退回理由', control: reason, path: 'reason', extra: counter(reason, 1000) })],
      collect() {
        const body = { reason: reason.value.trim() };
        return { body, errors: body.reason ? [] : [{ field: 'reason', message: '请填写退回理由' }] };
      },
      confirm: (body) => ({
        title: '确认申请退回',
        message: '总平台审核前，本件仍由贵单位办理。',
        details: [['退回理由', truncate(body.reason, 120)]],
        confirmLabel: '确认退回',
        danger: true,
      }),
      submit: send,
      done: (view) => render(view, '退回申请已提交，请等待总平台决定。'),
      failed,
      submitLabel: '提交退回申请',
      cls: 'danger',
    });
  },

  async 'request-info'(view, send) {
    const limits = (await bodyLimits('request-info')).question || {};
    const question = h('textarea', { name: 'question', rows: '5' });
    const range = limits.max ? `（${limits.min || 1}–${limits.max} 字）` : '';
    return actionForm({
      title: '请留言人补充材料',
      intro: '确需留言人补充材料才能办理的，请写明需要补充的内容，平台将通过短信或邮件告知留言人。等待期间答复时限暂停计时；留言人补充后恢复计时并顺延等待的工作时间，逾期未补充的恢复计时，请依现有材料办理。',
      children: [field({
        label: '需补充的材料', control: question, path: 'question', extra: counter(question, limits.max),
        hint: `请具体写明需要留言人提供的信息，例如问题发生的具体位置、时间或相关单据的内容${range}。`,
      })],
      collect() {
        const body = { question: question.value.trim() };
        const n = [...body.question].length;
        const errors = [];
        if (!n) errors.push({ field: 'question', message: '请填写需要留言人补充的材料' });
        else if (limits.min && n < limits.min) errors.push({ field: 'question', message: `需补充的材料至少 ${limits.min} 个字` });
        return { body, errors };
      },
      confirm: (body) => ({
        title: '确认请留言人补充材料',
        message: '提交后将通知留言人，答复时限暂停计时，直至留言人补充或补充期限届满。',
        details: [['需补充的材料', truncate(body.question, 120)]],
        confirmLabel: '确认提交',
      }),
      submit: send,
      done: (updated) => render(updated, '已请留言人补充材料，答复时限暂停计时。'),
      failed,
      submitLabel: '请留言人补充',
    });
  },

  input(view, send) {
    const text = h('textarea', { name: 'text', rows: '6' });
    return actionForm({
      title: '提交协办意见',
      intro: '协办意见提供给牵头单位，由牵头单位统一答复留言人。',
      children: [field({ label: '协办意见', control: text, path: 'text', extra: counter(text, 5000) })],
      collect() {
        const body = { text: text.value.trim() };
        return { body, errors: body.text ? [] : [{ field: 'text', message: '请填写协办意见' }] };
      },
      confirm: (body) => ({ title: '确认提交协办意见', details: [['协办意见', truncate(body.text, 120)]], confirmLabel: '确认提交' }),
      submit: send,
      done: (view) => render(view, '协办意见已提交给牵头单位。'),
      failed,
      submitLabel: '提交协办意见',
    });
  },
};

// ---- invalid or ended link ------------------------------------------------------------------

function invalidLink(message) {
  replace(app,
    h('section', { class: 'panel link-ended' },
      h('h1', null, '办理链接无效或已结束'),
      alertBox(message || '此链接无法使用。', 'error'),
      h('p', null, '可能的原因：'),
      h('ul', null,
        h('li', null, '链接不完整：请从通知邮件中完整打开链接，不要只复制其中一部分；'),
        h('li', null, '办理任务已经结束：本件已答复、已改派其他单位或已办结；'),
        h('li', null, '链接已超过有效期或已被收回。')),
      h('p', null, '如仍需办理本件，可以在下面申请重新发送链接（新链接只发送到贵单位在平台登记的邮箱），也可以直接联系总平台（市网络问政办公室）。'),
      refreshForm()));
}

function refreshForm() {
  const dept = h('select', { name: 'department_id' }, h('option', { value: '' }, '正在加载单位列表…'));
  const caseId = h('input', { type: 'text', name: 'case_id', autocomplete: 'off', spellcheck: 'false' });
  const result = h('div', { 'aria-live': 'polite' });
  departments().then((items) => {
    replace(dept, h('option', { value: '' }, '请选择贵单位'), items.map((d) => h('option', { value: d.id }, d.district_label ? `${d.name}（${d.district_label}）` : d.name)));
  }).catch(() => replace(dept, h('option', { value: '' }, '单位列表加载失败，请刷新页面')));
  return actionForm({
    title: '重新发送办理链接',
    children: [
      field({ label: '单位', control: dept, path: 'department_id' }),
      field({ label: '留言编号', control: caseId, path: 'case_id', hint: '见通知邮件标题或正文' }),
      result,
    ],
    collect() {
      const body = { department_id: dept.value, case_id: caseId.value.trim() };
      const errors = [];
      if (!body.department_id) errors.push({ field: 'department_id', message: '请选择单位' });
      if (!body.case_id) errors.push({ field: 'case_id', message: '请填写留言编号' });
      return { body, errors };
    },
    confirm: () => ({ title: '重新发送办理链接', message: '新链接将发送到贵单位在平台登记的邮箱。', confirmLabel: '发送' }),
    submit: (body) => post('/api/handle/refresh', body),
    done: () => replace(result, alertBox('如果单位和留言编号无误，新的办理链接已发送到贵单位登记的邮箱，请查收。', 'success')),
    submitLabel: '发送新链接',
    cls: 'refresh-form',
    level: 'h2',
  });
}

window.addEventListener('hashchange', () => location.reload());
load();
