// 附议阈值 on the settings page (GET/PUT /api/admin/support-thresholds): 群众关注 and the
// leader's threshold, each 附议 within days, and a category's own where it differs (empty:
// the defaults). Admins edit; coordinators read.
import { h, replace } from './dom.js';
import { request } from './api.js';
import { formatDateTime } from './format.js';
import { optionsOf, field, alertBox, errorSummary, clearFieldErrors, showFieldErrors, setBusy } from './ui.js';

const LEVELS = [['attention', '群众关注'], ['leader', '提请单位负责人关注']];

function number(name, value, max, editable, label) {
  return h('input', {
    type: 'number', name, min: 1, max, step: 1, inputmode: 'numeric', 'aria-label': label,
    value: value === undefined || value === null ? '' : String(value), disabled: !editable,
  });
}

export function supportThresholdsSection(tax, doc, editable, message = null) {
  const days = doc.max_window_days || 30;
  const inputs = {};
  const levelFields = LEVELS.map(([level, label]) => {
    const supports = number(`${level}.supports`, doc[level].supports, 100000, editable, `${label}：附议人数`);
    const within = number(`${level}.days`, doc[level].days, days, editable, `${label}：统计天数`);
    inputs[level] = { supports, within };
    return h('div', { class: 'grid-2' },
      field({ label: `${label}：附议人数`, control: supports, path: `${level}.supports` }),
      field({ label: `${label}：统计天数（含当天）`, control: within, path: `${level}.days` }));
  });
  const rows = optionsOf(tax, 'categories').map((c) => {
    const own = (doc.categories || {})[c.code] || {};
    const cells = LEVELS.map(([level, label]) => {
      const t = own[level] || {};
      return {
        level,
        supports: number(`categories.${c.code}.${level}.supports`, t.supports, 100000, editable, `${c.label} · ${label}：附议人数`),
        within: number(`categories.${c.code}.${level}.days`, t.days, days, editable, `${c.label} · ${label}：统计天数`),
      };
    });
    for (const cell of cells) {
      cell.supports.placeholder = '同默认';
      cell.within.placeholder = '同默认';
    }
    return { code: c.code, cells, row: h('tr', null,
      h('th', { scope: 'row' }, c.label),
      cells.flatMap((cell) => [h('td', null, cell.supports), h('td', null, cell.within)])) };
  });
  const summary = h('div', { 'aria-live': 'assertive' });
  const saved = h('div', { 'aria-live': 'polite' }, message);
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, '保存附议阈值');
  const form = h('form', { class: 'form panel', novalidate: true },
    h('h2', null, '附议阈值'),
    h('p', { class: 'hint' }, `统计天数内（含当天）的附议人数达到“群众关注”阈值时，诉求标为群众关注件并通知总平台；达到“提请单位负责人关注”阈值时，通知牵头单位负责人。每个阈值每件诉求只通知一次。统计天数最多 ${days} 天。`),
    doc.updated_at
      ? h('p', { class: 'muted' }, `最近修改：${doc.updated_by || ''} · ${formatDateTime(doc.updated_at)}`)
      : h('p', { class: 'muted' }, '尚未修改，当前为系统默认设置。'),
    summary,
    levelFields,
    h('fieldset', { class: 'field', dataset: { field: 'categories' } },
      h('legend', null, '按分类设置（留空则同默认）'),
      h('div', { class: 'table-scroll' }, h('table', { class: 'data-table' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, '分类'),
          LEVELS.flatMap(([, label]) => [h('th', { scope: 'col' }, `${label}人数`), h('th', { scope: 'col' }, '天数')]))),
        h('tbody', null, rows.map((r) => r.row)))),
      h('p', { class: 'field-error', hidden: true })),
    editable ? h('div', { class: 'form-actions' }, button, saved) : saved);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!editable || button.disabled) return;
    clearFieldErrors(form);
    summary.replaceChildren();
    saved.replaceChildren();
    const body = { categories: {} };
    for (const [level] of LEVELS) {
      body[level] = { supports: Number(inputs[level].supports.value), days: Number(inputs[level].within.value) };
    }
    for (const r of rows) {
      for (const cell of r.cells) {
        if (cell.supports.value === '' && cell.within.value === '') continue;
        body.categories[r.code] = body.categories[r.code] || {};
        body.categories[r.code][cell.level] = {
          supports: Number(cell.supports.value || body[cell.level].supports),
          days: Number(cell.within.value || body[cell.level].days),
        };
      }
    }
    setBusy(button, true, '正在保存…');
    try {
      const stored = await request('/api/admin/support-thresholds', { method: 'PUT', body, staff: true });
      form.replaceWith(supportThresholdsSection(tax, stored, editable, alertBox('附议阈值已保存，此后的附议按此统计。', 'success')));
    } catch (err) {
      setBusy(button, false);
      const unplaced = showFieldErrors(form, err.fields);
      replace(summary, errorSummary(err, (err.fields || []).length ? err.fields.map((f) => `${f.field}：${f.message}`) : unplaced));
    }
  });
  return form;
}
