// 我要留言: the submission form, field errors from a 400, idempotent submit, success view.
import { h, $, $$, replace } from './dom.js';
import { post, newKey } from './api.js';
import { taxonomy, loading, errorBox, errorSummary, clearFieldErrors, showFieldErrors, setBusy, facts } from './ui.js';
import { caseFields, submissionLimits } from './caseform.js';
import { pointPicker } from './place.js';
import { loadDistricts } from './map.js';
import { platformName } from './shell.js';
import { photoPicker } from './photos.js';
import { similarPanel, knowledgePanel } from './similar.js';

const app = $('#app');


async function init() {
  replace(app, loading());
  let tax;
  try {
    // The boundaries come with the taxonomy, so the map is there when the form first shows
    // (nothing below it moves when it arrives).
    [tax] = await Promise.all([taxonomy(), loadDistricts()]);
  } catch (err) {
    replace(app, errorBox(err, init));
    return;
  }
  const limits = await submissionLimits();
  // Cases like this one, shown under the title as the citizen types (support one instead).
  // … and, for a 咨询, the 知识库's public answers like it (§16).
  const afterTitle = ({ read, watch }) => h('div', null,
    knowledgePanel(read, watch).element, similarPanel(read, watch).element);
  const fields = caseFields(tax, limits, { pointPicker, afterTitle });
  const photos = photoPicker({ label: '现场照片（选填）' });
  const summary = h('div', { 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary btn-large' }, '提交留言');
  const form = h('form', { class: 'form panel form-page', novalidate: true },
    summary,
    fields.element,
    photos.element,
    h('div', { class: 'form-actions' }, button,
      h('p', { class: 'muted' }, '提交后将显示留言编号和查询码，请务必保存。')));

  // One Idempotency-Key per form fill: a double click (same body) reuses it, so the server
  // creates one case; an edited body after an error gets a fresh key.
  let idem = { key: newKey(), body: null };
  let inFlight = false;

  // A message goes once its field is right (the server's, once its field is edited); the
  // summary keeps the ones left.
  form.addEventListener('input', ({ target }) => {
    const problems = fields.validate(fields.collect());
    let changed = false;
    for (let box = target.closest('[data-field]'); box; box = box.parentElement.closest('[data-field]')) {
      const error = box.querySelector(':scope > .field-error');
      const text = problems.filter((p) => p.field === box.dataset.field).map((p) => p.message).join('；');
      if (error.hidden || text === error.textContent) continue;
      changed = true;
      error.textContent = text;
      error.hidden = !text;
      if (!text) box.querySelector('input, select, textarea').removeAttribute('aria-invalid');
    }
    const list = summary.querySelector('ul');
    if (!changed || !list) return;
    const left = $$('.field-error:not([hidden])', form).map((p) => h('li', null, p.textContent));
    if (left.length) replace(list, left);
    else summary.replaceChildren();
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (inFlight) return;
    clearFieldErrors(form);
    summary.replaceChildren();
    const body = fields.collect();
    const problems = fields.validate(body);
    if (photos.busy()) problems.push({ field: 'photos', message: '照片仍在上传，请稍候再提交' });
    else if (photos.failed()) problems.push({ field: 'photos', message: '有照片未能上传，请删除或重新添加后再提交' });
    if (problems.length) {
      showFieldErrors(form, problems);
      replace(summary, errorSummary({ message: '请检查以下内容后再提交' }, problems.map((p) => p.message)));
      return;
    }
    const uploaded = photos.ids();
    if (uploaded.length) body.photos = uploaded;
    const json = JSON.stringify(body);
    if (idem.body !== null && idem.body !== json) idem = { key: newKey(), body: json };
    idem.body = json;

    inFlight = true;
    setBusy(button, true);
    try {
      const created = await post('/api/cases', body, { idempotencyKey: idem.key });
      success(created);
    } catch (err) {
      const unplaced = showFieldErrors(form, err.fields);
      const messages = (err.fields || []).map((f) => f.message);
      replace(summary, errorSummary(err, messages.length ? messages : unplaced));
      if (!err.fields || !err.fields.length) summary.firstChild.focus();
    } finally {
      inFlight = false;
      setBusy(button, false);
    }
  });

  replace(app, form);
}

function success(created) {
  const copyText = `${platformName()} 留言编号：${created.case_id} 查询码：${created.tracking_code}`;
  const status = h('p', { class: 'copy-status', 'aria-live': 'polite' });
  const codeBox = h('div', { class: 'code-box' },
    facts([
      ['留言编号', h('span', { class: 'code', id: 'case-id' }, created.case_id)],
      ['查询码', h('span', { class: 'code', id: 'tracking-code' }, created.tracking_code)],
    ], 'facts facts-codes'));
  const copyButton = h('button', { type: 'button', class: 'btn btn-primary' }, '复制编号和查询码');
  copyButton.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(copyText);
      status.textContent = '已复制到剪贴板，请粘贴保存到备忘录或发送给自己。';
    } catch {
      // No clipboard access (e.g. plain http): select the text so the user can copy it.
      const selection = window.getSelection();
      selection.selectAllChildren(codeBox);
      status.textContent = '无法自动复制，已为您选中文字，请长按或按 Ctrl+C 复制。';
    }
  });
  const heading = h('h2', { tabindex: '-1' }, '留言已提交');
  replace(app, h('section', { class: 'panel success' },
    heading,
    h('p', null, `当前状态：${created.state_label || '待受理'}。总平台将尽快审核受理，受理、交办和答复时会通过您留下的手机或邮箱通知您。`),
    codeBox,
    h('div', { class: 'alert alert-warning', role: 'note' },
      h('p', { class: 'alert-title' }, '请妥善保存，查询码只显示这一次'),
      h('p', null, '凭留言编号和查询码才能查看办理进度、阅读答复并评价。查询码遗失后无法找回。')),
    h('div', { class: 'form-actions' },
      copyButton,
      h('a', { class: 'btn btn-secondary', href: `track.html?id=${encodeURIComponent(created.case_id)}` }, '查询办理进度'),
      h('a', { class: 'btn btn-link', href: 'submit.html' }, '再写一条留言')),
    status));
  heading.focus();
  window.scrollTo(0, 0);
}

init();
