// 区县边界: the districts' boundaries submissions are placed in and the maps are drawn from
// (GET /api/geo/districts, PUT /api/admin/geo/districts). Admins upload a GeoJSON file;
// coordinators see which districts have one. 需要地点的分类: the categories whose 投诉 and
// 求助 must carry an address or a point (GET/PUT /api/admin/place-categories).
import { h, replace, uid } from './dom.js';
import { request } from './api.js';
import { optionsOf, alertBox, errorSummary, setBusy } from './ui.js';
import { formatDateTime } from './format.js';

const MAX_BYTES = 1024 * 1024; // what the route takes; 350 KB once stored compactly

function coverage(collection, tax) {
  const shaped = new Set((collection.features || []).map((f) => f.properties && f.properties.code));
  const districts = optionsOf(tax, 'districts').filter((d) => d.code !== 'city');
  const have = districts.filter((d) => shaped.has(d.code)).map((d) => d.label);
  const missing = districts.filter((d) => !shaped.has(d.code)).map((d) => d.label);
  return h('p', null,
    have.length ? `已设置边界的区县（${have.length}）：${have.join('、')}。` : '尚未设置任何区县边界：留言页不显示地图，区县按地址或留言人的选择确定。',
    missing.length && have.length ? ` 未设置：${missing.join('、')}。` : '');
}

/** The section: what is in force, and (admins) a file to replace it with. */
export function boundariesSection(collection, tax, editable, message = null) {
  const input = h('input', { type: 'file', id: uid('geo'), accept: '.geojson,.json,application/geo+json,application/json' });
  const chosen = h('div', { 'aria-live': 'polite' });
  const summary = h('div', { 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary', disabled: true }, '上传区县边界');
  let parsed = null;

  input.addEventListener('change', async () => {
    parsed = null;
    button.disabled = true;
    summary.replaceChildren();
    const file = input.files && input.files[0];
    if (!file) return replace(chosen, null);
    if (file.size > MAX_BYTES) {
      return replace(chosen, alertBox('文件超过 1 MB，请先简化边界（如用 mapshaper 简化）后再上传。', 'error'));
    }
    try {
      parsed = JSON.parse(await file.text());
    } catch {
      return replace(chosen, alertBox('文件不是有效的 GeoJSON（无法按 JSON 读取）。', 'error'));
    }
    const n = Array.isArray(parsed.features) ? parsed.features.length : 0;
    replace(chosen, h('p', { class: 'hint' }, `已选择 ${file.name}：${n} 个区县边界。上传后替换现有的全部边界。`));
    button.disabled = false;
  });

  const form = h('form', { class: 'form panel', novalidate: true },
    h('h2', null, '区县边界'),
    h('p', { class: 'hint' }, '留言人在地图上标出的位置按区县边界确定所属区县，留言页、案件页和留言板的地图也按此绘制。格式为 GeoJSON（WGS-84 经纬度），每个区县一个 Polygon 或 MultiPolygon，properties.code 为区县代码；已受理的案件所属区县不变。'),
    message,
    coverage(collection, tax),
    editable ? h('div', { class: 'field', dataset: { field: 'features' } },
      h('label', { for: input.id }, 'GeoJSON 文件'),
      input,
      chosen) : null,
    summary,
    editable ? h('div', { class: 'form-actions' }, button) : null);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!editable || !parsed || button.disabled) return;
    summary.replaceChildren();
    setBusy(button, true, '正在上传…');
    try {
      const stored = await request('/api/admin/geo/districts', { method: 'PUT', body: parsed, staff: true });
      form.replaceWith(boundariesSection(stored, tax, editable, alertBox(`区县边界已更新（${stored.features.length} 个区县），新提交的留言按此确定所属区县。`, 'success')));
    } catch (err) {
      setBusy(button, false);
      replace(summary, errorSummary(err, (err.fields || []).map((f) => `${f.field}：${f.message}`)));
    }
  });
  return form;
}

/** The categories whose 投诉 and 求助 need a place: a checkbox each (admins save them). */
export function placeCategoriesSection(view, editable, message = null) {
  const summary = h('div', { 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, '保存');
  const boxes = view.categories.map((c) => {
    const input = h('input', { type: 'checkbox', id: uid('place-cat'), value: c.code, checked: c.needs_place, disabled: !editable });
    return { input, row: h('div', { class: 'choice' }, input, h('label', { for: input.id }, c.label)) };
  });
  const record = view.updated_by ? h('p', { class: 'hint' }, `最近修改：${view.updated_by}，${formatDateTime(view.updated_at)}`) : null;
  const form = h('form', { class: 'form panel', novalidate: true },
    h('h2', null, '需要地点的分类'),
    h('p', { class: 'hint' }, '勾选的分类中，投诉和求助必须填写地址或在地图上标出位置（咨询、建议不要求）；Open311 接口同样要求。新提交的留言一分钟内按新设置执行，已提交的不受影响。'),
    message,
    h('fieldset', { class: 'field', dataset: { field: 'categories' } },
      h('legend', null, '分类'),
      h('div', { class: 'choices choices-grid' }, ...boxes.map((b) => b.row))),
    record,
    summary,
    editable ? h('div', { class: 'form-actions' }, button) : null);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!editable) return;
    summary.replaceChildren();
    setBusy(button, true, '正在保存…');
    const categories = boxes.filter((b) => b.input.checked).map((b) => b.input.value);
    try {
      const saved = await request('/api/admin/place-categories', { method: 'PUT', body: { categories }, staff: true });
      const names = saved.categories.filter((c) => c.needs_place).map((c) => c.label);
      form.replaceWith(placeCategoriesSection(saved, editable, alertBox(names.length ? `已保存：${names.join('、')}的投诉和求助需要地点。` : '已保存：所有分类都不要求地点。', 'success')));
    } catch (err) {
      setBusy(button, false);
      replace(summary, errorSummary(err, (err.fields || []).map((f) => `${f.field}：${f.message}`)));
    }
  });
  return form;
}
