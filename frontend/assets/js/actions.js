// A form for one workflow action: collect → confirm in a <dialog> → POST → hand back the view.
import { h, replace } from './dom.js';
import { newKey } from './api.js';
import { errorSummary, clearFieldErrors, showFieldErrors, setBusy, confirmDialog } from './ui.js';

/**
 * actionForm({
 *   title, intro, children,            // what the form shows
 *   collect() → {body, errors?},       // read the inputs; errors = [{field, message}]
 *   confirm(body) → {title, message, details, danger, confirmLabel},
 *   submit(body, {idempotencyKey}) → Promise<view>,  // the POST
 *   done(view),                        // replace the page's view
 *   failed(err) → bool,                // optional: true when the page handled the error
 *   submitLabel, cls, level,           // level: the title's heading, h3 by default
 * })
 */
export function actionForm(options) {
  const { title, intro, children, collect, confirm, submit, done, failed, submitLabel = '提交', cls = '', level = 'h3' } = options;
  const summary = h('div', { 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit', class: `btn ${cls.includes('danger') ? 'btn-danger' : 'btn-primary'}` }, submitLabel);
  const form = h('form', { class: `form action-form ${cls}`.trim(), novalidate: true },
    title ? h(level, null, title) : null,
    intro ? h('p', { class: 'hint' }, intro) : null,
    summary,
    children,
    h('div', { class: 'form-actions' }, button));

  // One Idempotency-Key per intended action: sending the same body again (a retry after a lost
  // answer) reuses it, so the server replays its first answer instead of refusing a stale
  // case; an edited body is another action and gets a fresh key, and so does the next one.
  let idem = { key: newKey(), json: null };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    clearFieldErrors(form);
    summary.replaceChildren();
    const { body, errors } = collect();
    if (errors && errors.length) {
      showFieldErrors(form, errors);
      replace(summary, errorSummary({ message: '请检查填写的内容' }, errors.map((e) => e.message)));
      return;
    }
    const ok = await confirmDialog(confirm(body));
    if (!ok) return;
    const json = JSON.stringify(body);
    if (idem.json !== null && idem.json !== json) idem = { key: newKey(), json: null };
    idem.json = json;
    setBusy(button, true);
    try {
      const view = await submit(body, { idempotencyKey: idem.key });
      idem = { key: newKey(), json: null };
      setBusy(button, false);
      done(view);
    } catch (err) {
      setBusy(button, false);
      if (failed && failed(err)) return;
      showFieldErrors(form, err.fields);
      replace(summary, errorSummary(err, (err.fields || []).map((f) => f.message)));
    }
  });
  return form;
}
