// 代录来电、来信留言: an operator or coordinator enters a hotline or mailbox case for a caller.
import { h, replace } from './dom.js';
import { loading, errorSummary, clearFieldErrors, showFieldErrors, setBusy, facts } from './ui.js';
import { caseFields, submissionLimits } from './caseform.js';
import { staffPost, sessionLost } from './staff-common.js';

/** The entry form in `container`; `onCreated(caseId)` offers to open the new case. */
export async function hotlineView(container, tax, onCreated) {
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
          h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => hotlineView(container, tax, onCreated) }, '继续录入'))));
    } catch (err) {
      setBusy(button, false);
      if (sessionLost(err)) return;
      const unplaced = showFieldErrors(form, err.fields);
      replace(summary, errorSummary(err, (err.fields || []).length ? err.fields.map((f) => f.message) : unplaced));
    }
  });
  replace(container, form);
}
