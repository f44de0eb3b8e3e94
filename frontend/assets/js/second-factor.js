// 动态验证码 (staff second factor, §17): after the e-mailed link, a role the deployment's policy
// names either enrols an authenticator app (QR code made by the server, the secret for typing
// in by hand, 10 recovery codes shown this once) or gives the 6-digit code, or a recovery code.
import { h, replace } from './dom.js';
import { post } from './api.js';
import { field, alertBox, errorSummary, clearFieldErrors, showFieldErrors, setBusy } from './ui.js';

/** The secret in groups of four, easier to type. */
const grouped = (secret) => secret.replace(/(.{4})/g, '$1 ').trim();

function enrolment(e) {
  return h('div', { class: 'totp-enrol' },
    h('h2', null, '第一步：在手机上添加验证器'),
    h('p', null, '用验证器 App（如腾讯身份验证器、Microsoft Authenticator、Google 身份验证器）扫描下面的二维码：'),
    h('img', { class: 'totp-qr', src: e.qr_svg, alt: '动态验证码二维码（无法扫描时请手动输入下方密钥）', width: 220, height: 220 }),
    h('p', null, '无法扫码时，在 App 中选择“手动输入”，账号填写您的工作邮箱，密钥为：'),
    h('p', null, h('code', { class: 'totp-secret' }, grouped(e.secret))),
    h('h2', null, '第二步：保存恢复码'),
    alertBox('这些恢复码只显示这一次。请抄写或打印后妥善保管：手机丢失时，每个恢复码可代替动态验证码登录一次。', 'info'),
    h('ol', { class: 'totp-recovery' }, e.recovery_codes.map((c) => h('li', null, h('code', null, c)))),
    h('h2', null, '第三步：输入 App 显示的 6 位验证码'));
}

/**
 * Replace `container` with the second step of `step` (POST /api/staff/session's answer);
 * `signedIn(session)` once a code opened the session, `restart(notice)` when the step is over.
 */
export function secondStep(container, step, signedIn, restart) {
  const enrol = step.step === 'enrol';
  const code = h('input', { name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: 6, required: true, class: 'input-code' });
  const recovery = h('input', { name: 'recovery_code', autocomplete: 'off', maxlength: 40, class: 'input-code' });
  const codeField = field({ label: '6 位动态验证码', control: code, path: 'code', hint: '验证码每 30 秒更新一次。' });
  const recoveryField = field({ label: '恢复码', control: recovery, path: 'recovery_code', hint: '如 k7mqx-3pa9f-zt2bc，每个只能使用一次。' });
  recoveryField.hidden = true;
  let useRecovery = false;
  const toggle = h('button', { type: 'button', class: 'btn btn-link' }, '手机不在身边？使用恢复码');
  toggle.addEventListener('click', () => {
    useRecovery = !useRecovery;
    codeField.hidden = useRecovery;
    recoveryField.hidden = !useRecovery;
    toggle.textContent = useRecovery ? '使用动态验证码' : '手机不在身边？使用恢复码';
    (useRecovery ? recovery : code).focus();
  });
  const summary = h('div', { 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, enrol ? '验证并完成设置' : '登录');
  const form = h('form', { class: 'form', novalidate: true },
    summary, codeField, enrol ? null : recoveryField,
    h('div', { class: 'form-actions' }, button, enrol ? null : toggle));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    summary.replaceChildren();
    const body = { step_token: step.step_token };
    if (useRecovery) {
      const value = recovery.value.trim();
      if (value.length < 8) {
        showFieldErrors(form, [{ field: 'recovery_code', message: '请输入完整的恢复码' }]);
        return;
      }
      body.recovery_code = value;
    } else {
      const value = code.value.replace(/\s/g, '');
      if (!/^[0-9]{6}$/.test(value)) {
        showFieldErrors(form, [{ field: 'code', message: '请输入 App 显示的 6 位数字' }]);
        return;
      }
      body.code = value;
    }
    setBusy(button, true, '正在验证…');
    try {
      signedIn(await post('/api/staff/session/verify', body));
    } catch (err) {
      setBusy(button, false);
      if (err.code === 'step_expired') {
        restart('验证已超时（10 分钟内有效），请重新获取登录链接。');
        return;
      }
      const path = useRecovery ? 'recovery_code' : 'code';
      const placed = err.status === 401 ? [{ field: path, message: err.message }] : err.fields;
      const unplaced = showFieldErrors(form, placed);
      if (err.status !== 401 || unplaced.length) replace(summary, errorSummary(err, unplaced));
    }
  });
  replace(container, h('section', { class: 'panel narrow' },
    h('h1', null, enrol ? '设置动态验证码' : '输入动态验证码'),
    h('p', null, enrol
      ? `${step.name || step.email}，您的账号需要在登录链接之外再使用动态验证码（双重验证）。设置只需一次：`
      : `${step.name || step.email}，请输入手机验证器 App 中显示的 6 位动态验证码。`),
    enrol ? enrolment(step.enrolment) : null,
    form,
    h('p', { class: 'muted' }, '连续输错 5 次，账号将锁定 15 分钟。手机丢失且没有恢复码时，请联系管理员重置。')));
  if (!enrol) code.focus();
}
