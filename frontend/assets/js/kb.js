// 知识库管理 (kb.html, §16, issue 18): coordinators and admins list the 知识库 (GET
// /api/staff/kb, internal and retired entries too), add entries, edit them (PUT with the
// version read: someone else's change meanwhile is 409 stale_entry) and retire them (停用: no
// deletion). Uses the staff session staff.js keeps; every value goes in as text.
import { h, $, replace } from './dom.js';
import { get, post, request, staffSession, clearStaffSession } from './api.js';
import {
  loading, alertBox, errorBox, errorSummary, field, select, counter, clearFieldErrors, showFieldErrors, setBusy,
  badge, confirmDialog, taxonomy, optionsOf,
} from './ui.js';
import { signInForm, signOutButton, staffBar } from './signin.js';

const app = $('#app');
const TITLE = '知识库管理';
const EDITORS = ['coordinator', 'admin'];
const staffGet = (path, query) => get(path, { staff: true, query });
const list = h('ul', { class: 'plain-list kb-list', 'aria-live': 'polite' });
const editor = h('div');
let tax = null;
const query = { q: '', retired: '' };

function signedOut(notice) {
  signInForm(app, notice, `${TITLE}：请先登录`);
}

function refused(err) {
  if (err && err.status === 401) {
    clearStaffSession();
    signedOut('登录已过期或已在别处退出，请重新登录。');
    return true;
  }
  return false;
}

/** The add/edit form; ``entry`` null adds one. */
function entryForm(entry) {
  const e = entry || { public: true };
  const question = h('input', { type: 'text', name: 'question', value: e.question || '' });
  const answer = h('textarea', { name: 'answer', rows: '6' }, e.answer || '');
  const category = select('category', optionsOf(tax, 'categories'), { placeholder: '请选择', value: e.category || '' });
  const source = h('input', { type: 'text', name: 'source_unit', value: e.source_unit || '' });
  const open = h('input', { type: 'checkbox', name: 'public', id: 'kb-public', checked: Boolean(e.public) });
  const from = h('input', { type: 'date', name: 'valid_from', value: e.valid_from || '' });
  const until = h('input', { type: 'date', name: 'valid_until', value: e.valid_until || '' });
  const summary = h('div', { 'aria-live': 'assertive' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, entry ? '保存修改' : '添加条目');
  const cancel = h('button', { type: 'button', class: 'btn btn-secondary' }, '取消');
  cancel.addEventListener('click', () => editor.replaceChildren());
  const form = h('form', { class: 'form panel kb-form', novalidate: true },
    h('h2', null, entry ? `编辑条目（第 ${entry.version} 版）` : '新增条目'),
    summary,
    field({ label: '问题', control: question, path: 'question' }),
    field({ label: '答案', control: answer, path: 'answer', extra: counter(answer, 5000) }),
    field({ label: '问题分类', control: category, path: 'category' }),
    field({ label: '答案来源单位', control: source, path: 'source_unit' }),
    h('div', { class: 'field choice', dataset: { field: 'public' } }, open, h('label', { for: 'kb-public' }, '公开（不勾选：仅供工作人员内部使用）')),
    field({ label: '生效日期（可不填）', control: from, path: 'valid_from' }),
    field({ label: '失效日期（可不填）', control: until, path: 'valid_until' }),
    h('div', { class: 'form-actions' }, save, cancel));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (save.disabled) return;
    clearFieldErrors(form);
    summary.replaceChildren();
    const body = { question: question.value.trim(), answer: answer.value.trim(), category: category.value, source_unit: source.value.trim(), public: open.checked };
    if (from.value) body.valid_from = from.value;
    if (until.value) body.valid_until = until.value;
    const errors = [];
    if ([...body.question].length < 4) errors.push({ field: 'question', message: '问题须为 4–200 字' });
    if ([...body.answer].length < 10) errors.push({ field: 'answer', message: '答案须为 10–5000 字' });
    if (!body.category) errors.push({ field: 'category', message: '请选择问题分类' });
    if ([...body.source_unit].length < 2) errors.push({ field: 'source_unit', message: '请填写答案来源单位' });
    if (errors.length) {
      showFieldErrors(form, errors);
      replace(summary, errorSummary({ message: '请检查填写的内容' }, errors.map((x) => x.message)));
      return;
    }
    setBusy(save, true);
    try {
      if (entry) {
        await request(`/api/staff/kb/${encodeURIComponent(entry.id)}`, { method: 'PUT', body: { ...body, version: entry.version }, staff: true });
      } else {
        await post('/api/staff/kb', body, { staff: true });
      }
      editor.replaceChildren(alertBox(entry ? '已保存修改。' : '已添加条目。', 'success'));
      load();
    } catch (err) {
      setBusy(save, false);
      if (refused(err)) return;
      if (err.code === 'stale_entry') {
        const again = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, '载入最新版本');
        again.addEventListener('click', () => edit(entry.id));
        replace(summary, alertBox('该条目已被他人修改。请载入最新版本后重新编辑（您的修改未保存）。', 'error', again));
        return;
      }
      showFieldErrors(form, err.fields);
      replace(summary, errorSummary(err, (err.fields || []).map((f) => f.message)));
    }
  });
  replace(editor, form);
  question.focus();
}

async function edit(id) {
  replace(editor, loading());
  try {
    entryForm(await staffGet(`/api/staff/kb/${encodeURIComponent(id)}`));
  } catch (err) {
    if (!refused(err)) replace(editor, errorBox(err));
  }
}

async function retire(entry) {
  const ok = await confirmDialog({ title: '确认停用', message: '停用后该条目不再出现在检索中，也不能再用于答复；记录保留。', details: [['问题', entry.question]], confirmLabel: '确认停用', danger: true });
  if (!ok) return;
  try {
    await post(`/api/staff/kb/${encodeURIComponent(entry.id)}/retire`, {}, { staff: true });
    editor.replaceChildren(alertBox(`已停用：${entry.question}`, 'success'));
    load();
  } catch (err) {
    if (!refused(err)) replace(editor, errorBox(err));
  }
}

function item(e) {
  const editBtn = h('button', { type: 'button', class: 'btn btn-secondary btn-small', 'aria-label': `编辑：${e.question}` }, '编辑');
  editBtn.addEventListener('click', () => edit(e.id));
  const retireBtn = e.retired ? null : h('button', { type: 'button', class: 'btn btn-secondary btn-small', 'aria-label': `停用：${e.question}` }, '停用');
  if (retireBtn) retireBtn.addEventListener('click', () => retire(e));
  return h('li', { class: 'kb-item' },
    h('h3', null, e.question),
    h('p', null, badge(e.public ? '公开' : '内部', e.public ? '' : 'attention'), e.retired ? badge('已停用') : e.live ? null : badge('不在有效期'),
      ` ${e.category_label} · ${e.source_unit} · 第 ${e.version} 版`),
    h('p', { class: 'muted' }, e.answer.length > 120 ? `${e.answer.slice(0, 120)}…` : e.answer),
    h('p', null, editBtn, ' ', retireBtn));
}

async function load() {
  replace(list, loading());
  try {
    const data = await staffGet('/api/staff/kb', query);
    replace(list, data.items.length ? data.items.map(item) : alertBox('没有符合条件的条目。', 'info'));
  } catch (err) {
    if (!refused(err)) replace(list, errorBox(err, load));
  }
}

async function start() {
  const me = staffSession();
  if (!me || !me.session_token) return signedOut();
  const bar = staffBar(me, signOutButton(() => signedOut('您已退出登录。')));
  if (!EDITORS.includes(me.role)) {
    replace(app, bar, h('section', { class: 'panel narrow' }, h('h1', null, TITLE),
      alertBox('当前账号无权管理知识库：知识库由平台协调员和管理员维护。', 'info'),
      h('p', null, h('a', { href: 'staff.html' }, '返回工作人员页面'))));
    return;
  }
  tax = await taxonomy().catch(() => null);
  const q = h('input', { type: 'search', name: 'q' });
  const retired = h('input', { type: 'checkbox', name: 'retired', id: 'kb-retired' });
  const search = h('form', { class: 'toolbar', role: 'search', 'aria-label': '检索知识库' },
    field({ label: '关键词', control: q }),
    h('div', { class: 'field choice' }, retired, h('label', { for: 'kb-retired' }, '含已停用条目')),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-secondary' }, '检索')));
  search.addEventListener('submit', (ev) => {
    ev.preventDefault();
    query.q = q.value.trim();
    query.retired = retired.checked ? 'true' : '';
    load();
  });
  const add = h('button', { type: 'button', class: 'btn btn-primary' }, '新增条目');
  add.addEventListener('click', () => entryForm(null));
  replace(app, bar, h('h1', null, TITLE),
    h('p', { class: 'hint' }, '公开条目出现在“常见问题”和留言页的咨询提示中；内部条目只供工作人员答复时参考。修改留有记录，停用不删除。'),
    h('p', null, add), editor, search, list);
  load();
}

start();
