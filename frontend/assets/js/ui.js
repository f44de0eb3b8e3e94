// Shared widgets: labels, badges, messages, form fields, confirmation dialog.
import { h, $$, uid } from './dom.js';
import { get, ApiError } from './api.js';
import { countdown } from './format.js';
import { stateLabel } from './lifecycle.js';

// Fallback labels, used only when the API did not send one. States, actions and events come
// from the lifecycle (lifecycle.js).
export const FALLBACK = {
  kinds: { consultation: '咨询', suggestion: '建议', complaint: '投诉', help: '求助', praise: '感谢' },
  outcomes: { resolved: '已解决', explained: '已解释说明', scheduled: '列入计划' },
  ratings: { satisfied: '满意', basically_satisfied: '基本满意', unsatisfied: '不满意' },
  urgencies: { urgent: '紧急', general: '一般', complex: '复杂' },
  reject_reasons: { out_of_scope: '不属于受理范围', duplicate: '重复诉求', abusive: '含辱骂等不当内容', spam: '垃圾信息', insufficient: '诉求内容不清' },
  roles: { lead: '牵头单位', co_handler: '协办单位', coordinator: '总平台', county_coordinator: '分平台', admin: '管理员', operator: '话务员', auditor: '审计员', supervisor: '监督员', leader: '领导' },
};

let taxonomyPromise = null;
let departmentsPromise = null;

/** GET /api/taxonomy once per page. */
export function taxonomy() {
  if (!taxonomyPromise) {
    taxonomyPromise = get('/api/taxonomy').catch((err) => {
      taxonomyPromise = null;
      throw err;
    });
  }
  return taxonomyPromise;
}

/** GET /api/departments once per page; resolves to the items array. */
function directoryAnswer() {
  if (!departmentsPromise) {
    departmentsPromise = get('/api/departments').catch((err) => {
      departmentsPromise = null;
      throw err;
    });
  }
  return departmentsPromise;
}

/** The handling units (departments, towns, enterprises). */
export function departments() {
  return directoryAnswer().then((d) => (d && d.items) || []);
}

/** The county platforms (分平台, §15): [{id, name, districts}]. */
export function platforms() {
  return directoryAnswer().then((d) => (d && d.platforms) || []);
}

/** Options list [{code,label}] from the taxonomy, or the fallback map. */
export function optionsOf(tax, key) {
  const list = tax && Array.isArray(tax[key]) ? tax[key] : null;
  if (list && list.length) return list;
  const map = FALLBACK[key] || {};
  return Object.entries(map).map(([code, label]) => ({ code, label }));
}

export function labelOf(tax, key, code) {
  if (!code) return '';
  const found = optionsOf(tax, key).find((o) => o.code === code);
  return (found && found.label) || (FALLBACK[key] && FALLBACK[key][code]) || code;
}

// ---- badges -----------------------------------------------------------------------------

export function badge(text, cls = '') {
  return h('span', { class: `badge ${cls}`.trim() }, text);
}

export function stateBadge(state, label) {
  return badge(label || stateLabel(state), `state state-${state}`);
}

/** Countdown or overdue badge for a deadline; `apiOverdue` is the server's flag. */
export function deadlineBadge(iso, { apiOverdue = false, prefix = '' } = {}) {
  if (!iso) return null;
  const c = countdown(iso);
  if (!c) return null;
  const overdue = apiOverdue || c.overdue;
  const text = overdue ? (c.overdue ? c.text : '已超期') : c.text;
  return badge(prefix ? `${prefix} ${text}` : text, overdue ? 'overdue' : c.soon ? 'soon' : 'countdown');
}

/** 黄牌 / 红牌: a deadline missed by working days, while its clock still runs. */
export function cardBadge(c) {
  if (!c || !c.card) return null;
  const days = c.overdue_working_days ? ` · 超期 ${c.overdue_working_days} 个工作日` : '';
  return badge(`${c.card_label || (c.card === 'red' ? '红牌' : '黄牌')}${days}`, `sla-card sla-card-${c.card}`);
}

export function ratingBadge(rating, prefix = '评价：') {
  if (!rating) return null;
  const cls = rating.rating === 'unsatisfied' ? 'rating-bad' : 'rating-good';
  return badge(`${prefix}${rating.rating_label || FALLBACK.ratings[rating.rating] || rating.rating}`, cls);
}

// ---- messages ---------------------------------------------------------------------------

export function loading(text = '正在加载…') {
  return h('p', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}

export function errorText(err) {
  if (err instanceof ApiError) return err.message;
  return (err && err.message) || '出现了意外错误，请稍后重试';
}

export function alertBox(message, kind = 'error', extra = null) {
  return h('div', { class: `alert alert-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, h('p', null, message), extra);
}

export function errorBox(err, retry) {
  const retryBtn = retry ? h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: retry }, '重试') : null;
  return alertBox(errorText(err), 'error', retryBtn);
}

// ---- facts ------------------------------------------------------------------------------

/** <dl> of [label, value] pairs; pairs with an empty value are skipped. */
export function facts(pairs, cls = 'facts') {
  const dl = h('dl', { class: cls });
  for (const [label, value] of pairs) {
    if (value === null || value === undefined || value === '' || (Array.isArray(value) && !value.length)) continue;
    dl.append(h('div', { class: 'fact' }, h('dt', null, label), h('dd', null, value)));
  }
  return dl;
}

export function telLink(phone) {
  if (!phone) return null;
  const digits = String(phone).replace(/[^0-9+]/g, '');
  return h('a', { href: `tel:${digits}`, class: 'contact-link' }, phone);
}

export function mailLink(email) {
  if (!email) return null;
  return h('a', { href: `mailto:${encodeURIComponent(email).replace('%40', '@')}`, class: 'contact-link' }, email);
}

// ---- forms ------------------------------------------------------------------------------

/**
 * A labelled field: field({label, control, hint, path}). `path` is the API's field path
 * ("contact.phone") so 400 answers can be shown next to it.
 */
export function field({ label, control, hint, path, extra, cls = '' }) {
  const id = control.id || uid('f');
  control.id = id;
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  control.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
  return h('div', { class: `field ${cls}`.trim(), dataset: path ? { field: path } : undefined },
    h('label', { for: id }, label),
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
    control,
    extra,
    h('p', { class: 'field-error', id: errorId, hidden: true }));
}

/** A <fieldset> with a legend, used for radio groups; same error slot as field(). */
export function fieldset({ legend, children, hint, path, cls = '' }) {
  const errorId = uid('err');
  return h('fieldset', { class: `field ${cls}`.trim(), dataset: path ? { field: path } : undefined, 'aria-describedby': errorId },
    h('legend', null, legend),
    hint ? h('p', { class: 'hint' }, hint) : null,
    children,
    h('p', { class: 'field-error', id: errorId, hidden: true }));
}

export function select(name, options, { placeholder, value, required } = {}) {
  const el = h('select', { name, required });
  if (placeholder !== undefined) el.append(h('option', { value: '' }, placeholder));
  for (const o of options) el.append(h('option', { value: o.code, selected: o.code === value }, o.label));
  return el;
}

/** Live character counter below a text input/textarea. */
export function counter(control, max) {
  const out = h('p', { class: 'counter', 'aria-live': 'polite' });
  const update = () => {
    const n = [...control.value].length;
    out.textContent = max ? `已输入 ${n} / ${max} 字` : `已输入 ${n} 字`;
    out.classList.toggle('over', Boolean(max) && n > max);
  };
  control.addEventListener('input', update);
  if (max) control.maxLength = max;
  update();
  out.update = update;
  return out;
}

export function clearFieldErrors(form) {
  for (const p of $$('.field-error', form)) {
    p.textContent = '';
    p.hidden = true;
  }
  for (const c of $$('[aria-invalid]', form)) c.removeAttribute('aria-invalid');
}

/**
 * Put each fields[].message beside its field (matched by data-field); returns the messages
 * that found no field. Focuses the first invalid control.
 */
export function showFieldErrors(form, fields) {
  const unplaced = [];
  let first = null;
  for (const f of fields || []) {
    const path = f.field || '';
    const box = path ? findFieldBox(form, path) : null;
    if (!box) {
      unplaced.push(f.message);
      continue;
    }
    const p = box.querySelector(':scope > .field-error');
    p.textContent = p.textContent ? `${p.textContent}；${f.message}` : f.message;
    p.hidden = false;
    const control = box.querySelector('input, select, textarea');
    if (control) {
      control.setAttribute('aria-invalid', 'true');
      first = first || control;
    }
  }
  if (first) first.focus();
  return unplaced;
}

function findFieldBox(form, path) {
  // Exact path first, then the closest parent path ("contact.phone.x" → "contact.phone" → "contact").
  const segments = path.split('.');
  while (segments.length) {
    const box = form.querySelector(`[data-field="${CSS.escape(segments.join('.'))}"]`);
    if (box) return box;
    segments.pop();
  }
  return null;
}

/** Error summary at the top of a form: message + list of field messages. */
export function errorSummary(err, messages) {
  const list = messages && messages.length ? h('ul', null, messages.map((m) => h('li', null, m))) : null;
  return h('div', { class: 'alert alert-error', role: 'alert', tabindex: '-1' }, h('p', { class: 'alert-title' }, errorText(err)), list);
}

export function setBusy(button, busy, busyText = '正在提交…') {
  if (busy) {
    button.dataset.label = button.textContent;
    button.textContent = busyText;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
  } else {
    if (button.dataset.label) button.textContent = button.dataset.label;
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

// ---- confirmation dialog -------------------------------------------------------------------

/** A modal <dialog>; resolves true when confirmed. details: [[label, value], …]. */
export function confirmDialog({ title, message, details = [], confirmLabel = '确认提交', danger = false }) {
  return new Promise((resolve) => {
    const titleId = uid('dlg');
    const cancel = h('button', { type: 'button', class: 'btn btn-secondary' }, '取消');
    const ok = h('button', { type: 'button', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}` }, confirmLabel);
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, title),
      message ? h('p', null, message) : null,
      details.length ? facts(details, 'facts facts-compact') : null,
      h('div', { class: 'dialog-actions' }, cancel, ok));
    cancel.addEventListener('click', () => dialog.close('cancel'));
    ok.addEventListener('click', () => dialog.close('ok'));
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    ok.focus();
  });
}

export function truncate(text, n = 80) {
  const chars = [...(text || '')];
  return chars.length > n ? `${chars.slice(0, n).join('')}…` : chars.join('');
}

// ---- URL query --------------------------------------------------------------------------

export function readQuery(keys) {
  const params = new URLSearchParams(location.search);
  const out = {};
  for (const k of keys) out[k] = params.get(k) || '';
  return out;
}

export function writeQuery(values, { push = true } = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) params.set(k, v);
  const qs = params.toString();
  const url = `${location.pathname}${qs ? `?${qs}` : ''}`;
  if (url === `${location.pathname}${location.search}`) return;
  history[push ? 'pushState' : 'replaceState'](null, '', url);
}
