// 我的诉求 (§17): a citizen who lost a tracking code proves the phone number they gave with a
// 6-digit code sent by SMS, then sees every case of that number and can have a case's tracking
// code re-issued (sent by SMS; the old code stops working). The session (30 minutes) stays in
// this tab only (sessionStorage) and travels as `Authorization: Bearer …`.
import { h, $, replace } from './dom.js';
import { get, post } from './api.js';
import { formatDateTime } from './format.js';
import {
  loading, alertBox, errorBox, stateBadge, badge, field, clearFieldErrors, showFieldErrors,
  errorSummary, setBusy,
} from './ui.js';

const app = $('#app');
const KEY = 'wenzheng.mine';
const MOBILE = /^(\+?86)?1[3-9][0-9]{9}$/;

function saved() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    return s && s.session_token && Date.parse(s.expires_at) > Date.now() ? s : null;
  } catch {
    return null;
  }
}

function signOut() {
  sessionStorage.removeItem(KEY);
  phoneStep();
}

function phoneStep(message = null) {
  const phone = h('input', { type: 'tel', name: 'phone', autocomplete: 'tel', inputmode: 'tel', required: true });
  const summary = h('div', { 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, '获取验证码');
  const form = h('form', { class: 'form panel mine-phone', novalidate: true },
    h('h2', null, '第一步：接收短信验证码'),
    message,
    summary,
    field({ label: '手机号', control: phone, path: 'phone', hint: '提交诉求时填写的中国大陆手机号（11 位）' }),
    h('div', { class: 'form-actions' }, button));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    summary.replaceChildren();
    const value = phone.value.replace(/[\s-]/g, '');
    if (!MOBILE.test(value)) {
      showFieldErrors(form, [{ field: 'phone', message: '请填写正确的中国大陆手机号（11 位）' }]);
      return;
    }
    setBusy(button, true, '正在发送…');
    try {
      const sent = await post('/api/citizen/otp', { phone: value });
      codeStep(value, sent.message);
    } catch (err) {
      setBusy(button, false);
      replace(summary, errorSummary(err, showFieldErrors(form, err.fields)));
    }
  });
  replace(app, form);
  phone.focus();
}

function codeStep(phone, sentMessage) {
  const code = h('input', {
    type: 'text', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code',
    maxlength: '6', pattern: '[0-9]{6}', required: true, spellcheck: 'false',
  });
  const summary = h('div', { 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, '验证并查看');
  const other = h('button', { type: 'button', class: 'btn btn-secondary' }, '更换手机号');
  other.addEventListener('click', () => phoneStep());
  const form = h('form', { class: 'form panel mine-code', novalidate: true },
    h('h2', null, '第二步：输入验证码'),
    alertBox(sentMessage || '如该手机号码提交过诉求，验证码已发送。', 'info',
      h('p', { class: 'muted' }, `手机号：${phone.slice(-11, -8)}****${phone.slice(-4)}。本地演示环境中可在`, h('a', { href: 'outbox.html' }, '开发邮箱'), '查看短信。')),
    summary,
    field({ label: '短信验证码', control: code, path: 'code', hint: '6 位数字，5 分钟内有效，最多可输错 5 次' }),
    h('div', { class: 'form-actions' }, button, other));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    summary.replaceChildren();
    const value = code.value.trim();
    if (!/^[0-9]{6}$/.test(value)) {
      showFieldErrors(form, [{ field: 'code', message: '请输入短信中的 6 位数字验证码' }]);
      return;
    }
    setBusy(button, true, '正在验证…');
    try {
      const session = await post('/api/citizen/session', { phone, code: value });
      sessionStorage.setItem(KEY, JSON.stringify(session));
      await showCases();
    } catch (err) {
      setBusy(button, false);
      const unplaced = showFieldErrors(form, err.fields);
      replace(summary, errorSummary(err, unplaced));
    }
  });
  replace(app, form);
  code.focus();
}

async function showCases() {
  const session = saved();
  if (!session) {
    phoneStep();
    return;
  }
  replace(app, loading('正在读取您的诉求…'));
  let view;
  try {
    view = await get('/api/citizen/cases', { bearer: session.session_token });
  } catch (err) {
    if (err.status === 401) {
      sessionStorage.removeItem(KEY);
      phoneStep(alertBox(err.message || '验证已过期，请重新获取验证码。', 'warning'));
      return;
    }
    replace(app, errorBox(err, showCases));
    return;
  }
  const items = view.items || [];
  const status = h('div', { 'aria-live': 'polite' });
  const out = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, '退出');
  out.addEventListener('click', signOut);
  replace(app,
    h('section', { class: 'panel mine-who' },
      h('h2', null, `本手机号提交的诉求（${items.length} 件）`),
      h('p', { class: 'muted' }, `验证有效至 ${formatDateTime(view.session_expires_at)}。查看办理进度、答复和评价，请用查询码；查询码遗失的，可在下面重新获取，新查询码以短信发送，原查询码随即失效。`),
      h('div', { class: 'form-actions' }, out)),
    status,
    items.length
      ? h('ol', { class: 'cards mine-list' }, items.map((c) => h('li', null, caseCard(c, session, status))))
      : h('p', { class: 'panel panel-empty' }, '该手机号没有提交过诉求。'),
    view.truncated ? alertBox('诉求较多，这里只列出最近的 200 件。', 'warning') : null);
}

function caseCard(c, session, status) {
  const again = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, '重新获取查询码');
  again.addEventListener('click', async () => {
    status.replaceChildren();
    setBusy(again, true, '正在发送…');
    try {
      const done = await post(`/api/citizen/cases/${encodeURIComponent(c.case_id)}/tracking-code`, {}, { bearer: session.session_token });
      setBusy(again, false);
      replace(status, alertBox(done.message, 'success'));
    } catch (err) {
      setBusy(again, false);
      if (err.status === 401) {
        sessionStorage.removeItem(KEY);
        phoneStep(alertBox(err.message, 'warning'));
        return;
      }
      replace(status, alertBox(err.message, 'error'));
    }
  });
  return h('article', { class: 'card mine-card' },
    h('div', { class: 'badges' }, stateBadge(c.state, c.state_label), c.public ? badge('已公开', 'public') : null),
    h('h3', { class: 'card-title' }, c.title),
    h('p', { class: 'card-meta' },
      h('span', null, `编号：${c.case_id}`),
      h('span', null, c.kind_label || ''),
      h('span', null, `提交于 ${formatDateTime(c.created_at)}`)),
    h('div', { class: 'form-actions' },
      h('a', { class: 'btn btn-primary btn-small', href: `track.html?id=${encodeURIComponent(c.case_id)}` }, '查询进度与评价'),
      c.reissuable ? again : h('span', { class: 'muted' }, '已归档，查询码不再重新发放')));
}

if (saved()) showCases();
else phoneStep();
