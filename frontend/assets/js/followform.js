// 关注此件: an e-mail address to tell of a case's reply, reopening and closing. The address
// confirms first (double opt-in): the answer is always "check your mailbox", whether or not
// the address already follows the case.
import { h, replace } from './dom.js';
import { post } from './api.js';
import { field, alertBox, errorSummary, clearFieldErrors, showFieldErrors, setBusy } from './ui.js';
import { isTerminal } from './lifecycle.js';

/**
 * The form, or null once the case's handling is over. options: { trackingCode } on the
 * citizen's own tracking page (the case need not be public), { title, intro } to word it.
 */
export function followForm(c, { trackingCode = '', title = '关注此件', intro = '' } = {}) {
  if (isTerminal(c.state)) return null;
  const input = h('input', {
    type: 'email', name: 'email', autocomplete: 'email', inputmode: 'email',
    spellcheck: 'false', autocapitalize: 'off', maxLength: 254,
  });
  const status = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'btn btn-secondary' }, '关注此件');
  const form = h('form', { class: 'form panel follow', novalidate: true },
    h('h2', null, title),
    h('p', { class: 'hint' }, intro || '留下邮箱，这条留言答复、重办和办结时我们会发邮件告诉您。邮箱需先确认，不会公开。'),
    field({ label: '电子邮箱', control: input, path: 'email' }),
    h('div', { class: 'form-actions' }, button),
    status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    status.replaceChildren();
    const email = input.value.trim();
    if (!email) {
      showFieldErrors(form, [{ field: 'email', message: '请填写电子邮箱' }]);
      return;
    }
    const body = trackingCode ? { email, tracking_code: trackingCode } : { email };
    setBusy(button, true);
    try {
      const r = await post(`/api/cases/${encodeURIComponent(c.case_id)}/follow`, body);
      input.value = '';
      replace(status, alertBox(r.message || '请查收确认邮件', 'success'));
    } catch (err) {
      const unplaced = showFieldErrors(form, err.fields);
      replace(status, errorSummary(err, unplaced));
    } finally {
      setBusy(button, false);
    }
  });
  return form;
}
