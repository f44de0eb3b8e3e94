// 单位工作台 (desk link): the token comes from location.hash (#t=…) and travels only in the
// X-Link-Token header. GET lists the unit's open cases as lead, most urgent first, then those it
// co-handles (协办), the nearest input deadline first; opening one
// is a POST that makes its handling link, and the page goes on to handle.html#t=….
// Without a usable link the page offers the form that e-mails a fresh one to the unit.
import { h, $, replace } from './dom.js';
import { get, post } from './api.js';
import { formatDate, formatDateTime } from './format.js';
import {
  loading, alertBox, errorBox, errorText, badge, stateBadge, deadlineBadge, cardBadge, field,
  clearFieldErrors, showFieldErrors, errorSummary, setBusy,
} from './ui.js';

const app = $('#app');
const token = new URLSearchParams(location.hash.slice(1)).get('t') || '';

async function load() {
  if (!token) {
    noLink();
    return;
  }
  replace(app, loading('正在打开单位工作台…'));
  try {
    render(await get('/api/desk', { linkToken: token }));
  } catch (err) {
    if (!linkEnded(err)) replace(app, errorBox(err, load));
  }
}

/** 401 (not a desk link) and 410 (expired, replaced, revoked): say so and offer a fresh one. */
function linkEnded(err) {
  if (err.status !== 401 && err.status !== 410) return false;
  replace(app,
    h('section', { class: 'panel link-ended' },
      h('h1', null, '工作台链接无效或已失效'),
      alertBox(err.message || '此链接无法使用。', 'error'),
      h('p', null, '可能的原因：'),
      h('ul', null,
        h('li', null, '链接不完整：请从邮件中完整打开链接，不要只复制其中一部分；'),
        h('li', null, '贵单位已收到更新的工作台链接（每次发送新链接，旧链接即失效）；'),
        h('li', null, '链接已超过有效期，或已被平台管理员停用。'))),
    requestForm());
  return true;
}

function noLink() {
  replace(app,
    h('section', { class: 'panel desk-intro' },
      h('h1', null, '单位工作台'),
      h('p', null, '承办单位可在工作台查看本单位牵头和协办的全部在办诉求、办理时限和黄牌/红牌督办情况，并直接进入每件诉求的办理页面。'),
      h('p', null, '工作台链接每周第一个工作日自动发送到单位登记的邮箱；也可以在下面申请，链接只发送到平台登记的单位联系邮箱。')),
    requestForm());
}

function requestForm() {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true, spellcheck: 'false' });
  const summary = h('div', { 'aria-live': 'assertive' });
  const result = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, '发送工作台链接');
  const form = h('form', { class: 'form panel desk-request', novalidate: true },
    h('h2', null, '获取工作台链接'),
    summary,
    field({ label: '单位登记邮箱', control: email, path: 'email', hint: '填写贵单位在平台登记的经办人、发言人或负责人邮箱' }),
    h('div', { class: 'form-actions' }, button),
    result);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    summary.replaceChildren();
    result.replaceChildren();
    const value = email.value.trim();
    if (!value || !value.includes('@')) {
      showFieldErrors(form, [{ field: 'email', message: '请输入有效的邮箱地址' }]);
      return;
    }
    setBusy(button, true, '正在发送…');
    try {
      const answer = await post('/api/desk/request', { email: value });
      setBusy(button, false);
      replace(result, alertBox(answer.message || '如该邮箱是已登记单位的联系邮箱，工作台链接已发送，请查收邮件。', 'success',
        h('p', { class: 'muted' }, '新链接发出后，此前的工作台链接即失效。本地演示环境中可在', h('a', { href: 'outbox.html' }, '开发邮箱'), '查看。')));
    } catch (err) {
      setBusy(button, false);
      const unplaced = showFieldErrors(form, err.fields);
      replace(summary, errorSummary(err, unplaced));
    }
  });
  return form;
}

function counts(c) {
  return h('p', { class: 'badges desk-counts' },
    badge(`在办 ${c.open} 件`, 'countdown'),
    c.overdue ? badge(`超期 ${c.overdue} 件`, 'overdue') : null,
    c.yellow ? badge(`黄牌 ${c.yellow} 件`, 'sla-card sla-card-yellow') : null,
    c.red ? badge(`红牌 ${c.red} 件`, 'sla-card sla-card-red') : null,
    c.co_open ? badge(`协办 ${c.co_open} 件`, 'countdown') : null,
    c.co_overdue ? badge(`协办意见超期 ${c.co_overdue} 件`, 'overdue') : null);
}

function render(view) {
  const lines = Array.isArray(view.lead) ? view.lead : [];
  const coLines = Array.isArray(view.co_handling) ? view.co_handling : [];
  const status = h('div', { 'aria-live': 'assertive' });
  replace(app,
    h('div', { class: 'desk' },
      h('section', { class: 'panel desk-who' },
        h('p', { class: 'eyebrow' }, '单位工作台'),
        h('h1', null, `${view.unit ? view.unit.name : ''} · 在办诉求`),
        counts(view.counts || { open: lines.length }),
        h('p', { class: 'muted' }, `按紧急程度排列：红牌、黄牌、已超期，其余按时限先后。统计时间 ${formatDateTime(view.as_of)}；本链接有效至 ${formatDateTime(view.expires_at)}，请勿转发。`),
        h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: () => load() }, '刷新'))),
      status,
      talkSection(view.talks),
      h('section', { class: 'desk-section', 'aria-labelledby': 'desk-lead' },
        h('h2', { id: 'desk-lead' }, `牵头办理（${lines.length} 件）`),
        lines.length
          ? h('ol', { class: 'cards desk-list' }, lines.map((c) => h('li', null, deskCard(c, status))))
          : h('p', { class: 'panel panel-empty' }, '贵单位目前没有牵头在办的诉求。')),
      h('section', { class: 'desk-section', 'aria-labelledby': 'desk-co' },
        h('h2', { id: 'desk-co' }, `协办（${coLines.length} 件）`),
        h('p', { class: 'muted' }, '协办单位在协办意见时限内向牵头单位提交意见；诉求由牵头单位统一答复。'),
        coLines.length
          ? h('ol', { class: 'cards desk-list desk-co-list' }, coLines.map((c) => h('li', null, deskCard(c, status))))
          : h('p', { class: 'panel panel-empty' }, '贵单位目前没有协办的在办诉求。')),
      view.truncated ? alertBox('贵单位在办诉求较多，这里只列出时限最近的一部分。', 'warning') : null));
}

/** 约谈 records of the unit; an unreported one carries the form to report its rectification. */
function talkSection(talks) {
  if (!Array.isArray(talks) || !talks.length) return null;
  return h('section', { class: 'desk-section', 'aria-labelledby': 'desk-talks' },
    h('h2', { id: 'desk-talks' }, '约谈与整改'),
    h('ol', { class: 'cards desk-list' }, talks.map((t) => h('li', { class: 'panel' },
      h('p', null, h('strong', null, `${formatDate(t.held_on)} 约谈`), ` · 排名月份 ${t.month} · 整改期限 ${formatDate(t.rectify_by)} `,
        badge(t.status_label, { open: 'soon', overdue: 'overdue', reported: 'done' }[t.status] || '')),
      h('p', { class: 'muted' }, `约谈事由：${t.reasons}`),
      t.rectification
        ? h('p', null, `已于 ${formatDateTime(t.rectification.reported_at)} 报送整改情况：${t.rectification.text}`)
        : rectificationForm(t)))));
}

function rectificationForm(t) {
  const id = `rectify-${t.id}`;
  const text = h('textarea', { name: 'text', id, rows: 4, required: true, minlength: 10, maxlength: 2000 });
  const summary = h('div', { 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, '报送整改情况');
  const form = h('form', { class: 'form', novalidate: true },
    summary,
    field({ label: '整改情况', control: text, path: 'text', hint: '10–2000 字：已采取的整改措施和成效' }),
    h('div', { class: 'form-actions' }, button));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    summary.replaceChildren();
    if (text.value.trim().length < 10) {
      showFieldErrors(form, [{ field: 'text', message: '请填写整改情况（至少 10 个字）' }]);
      return;
    }
    setBusy(button, true);
    try {
      await post(`/api/desk/talks/${encodeURIComponent(t.id)}/rectification`, { text: text.value.trim() }, { linkToken: token });
      load();
    } catch (err) {
      setBusy(button, false);
      replace(summary, errorSummary(err, showFieldErrors(form, err.fields)));
    }
  });
  return form;
}

function deskCard(c, status) {
  const open = h('button', { type: 'button', class: 'desk-open' }, c.title);
  open.addEventListener('click', () => openCase(c, open, status));
  return h('article', { class: `card desk-card${c.card ? ` desk-card-${c.card}` : c.overdue ? ' desk-card-overdue' : ''}` },
    h('div', { class: 'badges' },
      cardBadge(c),
      !c.card && c.overdue ? badge(c.overdue_working_days ? `超期 ${c.overdue_working_days} 个工作日` : '已超期', 'overdue') : null,
      stateBadge(c.state, c.state_label),
      c.urgency === 'urgent' ? badge(c.urgency_label || '紧急', 'urgency-urgent') : null,
      c.pending ? badge(c.pending === 'extension' ? '延期待审核' : '退回待审核', 'pending') : null,
      c.clock_paused ? badge('暂停计时', 'paused') : null),
    h('h3', { class: 'card-title' }, open),
    h('p', { class: 'card-meta' },
      h('span', null, `编号：${c.case_id}`),
      c.lead ? h('span', null, `牵头单位：${c.lead.name}`) : null,
      c.input_given_at ? h('span', null, `已于 ${formatDateTime(c.input_given_at)} 提交协办意见`) : null,
      h('span', null, [c.kind_label, c.category_label].filter(Boolean).join(' · ')),
      c.deadline
        ? h('span', { class: 'deadline' }, `${c.deadline_label || '时限'}：${formatDateTime(c.deadline)} `, c.overdue ? null : deadlineBadge(c.deadline))
        : h('span', null, noDeadline(c))));
}

function noDeadline(c) {
  if (c.input_given_at) return '协办意见已提交，等待牵头单位答复';
  if (c.clock_paused) return '等待留言人补充材料，答复时限暂停';
  if (c.escalated) return '已转总平台处理';
  if (c.state === 'replied') return '已答复，等待留言人评价';
  return '当前无进行中的时限';
}

async function openCase(c, button, status) {
  status.replaceChildren();
  setBusy(button, true, '正在打开…');
  try {
    const made = await post(`/api/desk/cases/${encodeURIComponent(c.case_id)}/link`, {}, { linkToken: token });
    location.assign(`handle.html${new URL(made.url, location.href).hash}`);
  } catch (err) {
    setBusy(button, false);
    if (linkEnded(err)) return;
    const box = alertBox(err.status === 404
      ? `诉求 ${c.case_id} 已不在贵单位的在办列表中（可能已办结或改派），请刷新工作台。`
      : errorText(err), 'error');
    box.tabIndex = -1;
    replace(status, box);
    box.focus();
  }
}

window.addEventListener('hashchange', () => location.reload());
load();
