// 工作人员: sign-in by emailed link (and, for the roles the policy names, 动态验证码:
// second-factor.js), then the coordinator console (staff-queue.js: queue + case
// panel), the operator's hotline entry form (staff-hotline.js), or the auditor's, the
// supervisor's and the leader's own pages (audit.html, review.html, dashboard.html).
import { h, replace } from './dom.js';
import { post, staffSession, saveStaffSession } from './api.js';
import { taxonomy, departments, platforms, loading, alertBox, errorBox } from './ui.js';
import { lifecycle } from './lifecycle.js';
import { signOutButton, staffBar } from './signin.js';
import { app, staffGet, sessionLost, signIn } from './staff-common.js';
import { consoleView } from './staff-queue.js';
import { hotlineView } from './staff-hotline.js';
import { secondStep } from './second-factor.js';

const COORDINATING = new Set(['coordinator', 'county_coordinator', 'admin']);

async function exchange(token) {
  replace(app, loading('正在登录…'));
  try {
    const answer = await post('/api/staff/session', { token });
    if (answer.step === 'enrol' || answer.step === 'verify') {
      // 动态验证码: the e-mailed link is spent; the second step opens the session.
      secondStep(app, answer, signedIn, signIn);
      return;
    }
    signedIn(answer);
  } catch (err) {
    if (err.status === 0 || err.status >= 500) replace(app, errorBox(err));
    else if (err.status === 429) signIn(err.message);
    else signIn('登录链接无效或已过期：登录链接只能使用一次，且 15 分钟内有效。请重新获取。');
  }
}

function signedIn(session) {
  saveStaffSession(session);
  start();
}

async function start() {
  let session = staffSession();
  let tax = null;
  let depts = [];
  replace(app, loading());
  try {
    const me = await staffGet('/api/staff/me');
    if (me && typeof me === 'object') {
      session = { ...session, ...me };
      saveStaffSession(session);
    }
    let counties = [];
    [tax, depts, counties] = await Promise.all([taxonomy().catch(() => null), departments().catch(() => []), platforms().catch(() => []), lifecycle().catch(() => null)]);
    // 1+8+N: a county platform assigns to its own units; the city to any unit, or hands a
    // case to a county platform as a whole (市级交办).
    depts = session.county
      ? depts.filter((d) => d.platform === session.county.id)
      : [...depts, ...counties.map((p) => ({ id: p.id, name: p.name, county: true, categories: [] }))];
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
  if (session.role === 'supervisor') {
    // 监督员: their page is 监督评议 (review.js); the console is not theirs.
    replace(app, h('p', { class: 'panel narrow' }, h('a', { href: 'review.html', class: 'btn btn-primary' }, '打开监督评议')));
    location.replace('review.html');
    return;
  }
  if (session.role === 'leader') {
    // A leader (市领导) reads figures, not cases: the page is 领导驾驶舱 (dashboard.html).
    replace(app, h('p', { class: 'panel narrow' }, h('a', { href: 'dashboard.html', class: 'btn btn-primary' }, '打开领导驾驶舱')));
    location.replace('dashboard.html');
    return;
  }
  const role = session.role;
  const bar = staffBar(session,
    role === 'admin' ? h('a', { href: 'admin.html', class: 'btn btn-secondary btn-small' }, '时限与工作日历设置') : null,
    role === 'admin' || role === 'coordinator' ? h('a', { href: 'kb.html', class: 'btn btn-secondary btn-small' }, '知识库管理') : null,
    signOutButton(() => signIn('您已退出登录。')));
  const body = h('div');
  replace(app, bar, body);
  if (COORDINATING.has(role)) consoleView(body, { tax, depts, role });
  else if (role === 'operator') hotlineView(body, tax, null);
  else {
    replace(body, alertBox('当前账号没有可用的功能，请联系管理员。', 'info'));
  }
}

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
