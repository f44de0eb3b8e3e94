// Staff sign-in (emailed single-use link to staff.html#t=…), the signed-in bar and sign-out,
// shared by staff.js and the pages that need a staff session (audit.js).
import { h, replace } from './dom.js';
import { get, post, clearStaffSession } from './api.js';
import { field, alertBox, errorSummary, clearFieldErrors, showFieldErrors, setBusy, badge, FALLBACK } from './ui.js';

/** Replace `container` with the form; `title` heads it, `notice` sits above it. */
export function signInForm(container, notice, title = '工作人员登录') {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true });
  const summary = h('div', { 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, '发送登录链接');
  const sso = h('div', { class: 'sign-in-sso' });
  const form = h('form', { class: 'form panel narrow', novalidate: true },
    h('h1', null, title),
    notice ? alertBox(notice, 'info') : null,
    h('p', null, '总平台、话务员、审计员等工作人员请输入登记的工作邮箱，我们会发送一个登录链接。链接 15 分钟内有效，只能使用一次。'),
    summary,
    field({ label: '工作邮箱', control: email, path: 'email' }),
    h('div', { class: 'form-actions' }, button),
    sso,
    h('p', { class: 'muted sign-in-note' }, '承办部门无需登录：请使用交办通知邮件中的办理链接。'));
  // 统一身份认证 (OpenID Connect, §17), where the deployment has an IdP: a link beside the form.
  get('/api/staff/oidc').then((found) => {
    if (found && found.enabled) {
      replace(sso, h('p', null, '或', h('a', { href: found.start, class: 'btn btn-secondary' }, `使用${found.label}登录`)));
    }
  }).catch(() => {});
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    summary.replaceChildren();
    const value = email.value.trim();
    if (!value || !value.includes('@')) {
      showFieldErrors(form, [{ field: 'email', message: '请输入有效的邮箱地址' }]);
      return;
    }
    setBusy(button, true, '正在发送…');
    try {
      await post('/api/staff/sign-in', { email: value });
      replace(container, h('section', { class: 'panel narrow', role: 'status' },
        h('h1', null, '请查收登录邮件'),
        h('p', null, `如果 ${value} 是已登记的工作人员邮箱，我们已向它发送了登录链接。请在 15 分钟内打开邮件中的链接完成登录。`),
        h('p', { class: 'muted' }, '没有收到？请检查垃圾邮件，或稍后重新发送。本地演示环境中可在', h('a', { href: 'outbox.html' }, '开发邮箱'), '查看。'),
        h('p', null, h('a', { href: location.pathname.split('/').pop() || 'staff.html', class: 'btn btn-secondary' }, '重新发送'))));
    } catch (err) {
      setBusy(button, false);
      const unplaced = showFieldErrors(form, err.fields);
      replace(summary, errorSummary(err, unplaced));
    }
  });
  replace(container, form);
}

/** 退出登录: ends the session on the server (whatever it answers) and here, then `done()`. */
export function signOutButton(done) {
  const button = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, '退出登录');
  button.addEventListener('click', async () => {
    setBusy(button, true, '正在退出…');
    try {
      await post('/api/staff/sign-out', {}, { staff: true });
    } catch {
      // The session ends here either way.
    }
    clearStaffSession();
    done();
  });
  return button;
}

/** 已登录：name email [role] … actions. */
export function staffBar(me, ...actions) {
  return h('div', { class: 'staff-bar' },
    h('p', null, '已登录：', me.name ? `${me.name} ` : '', h('strong', { class: 'staff-email' }, me.email || ''), ' ',
      badge(me.role_label || FALLBACK.roles[me.role] || me.role || '', 'role'),
      me.county && me.county.name ? badge(me.county.name, 'role') : null),
    h('div', { class: 'bar-actions' }, actions));
}
