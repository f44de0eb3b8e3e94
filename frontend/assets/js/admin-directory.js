// 单位与账号目录 on the settings page (admins only, §15): the units and county platforms
// (GET/POST /api/admin/units, PUT …/{id}, …/disable, …/enable), the staff accounts
// (/api/admin/staff, with 重置二次验证: …/{email}/reset-totp) and the CSV export and import.
// Every change is recorded for auditors.
import { h, replace } from './dom.js';
import { request, staffSession } from './api.js';
import { optionsOf, field, alertBox, errorSummary, clearFieldErrors, showFieldErrors, setBusy, select, badge, confirmDialog } from './ui.js';
import { formatDate, formatDateTime } from './format.js';

const KINDS = [{ code: 'department', label: '部门' }, { code: 'town', label: '乡镇/街道' }, { code: 'enterprise', label: '国有企业' }];
const LEVELS = [{ code: 'unit', label: '承办单位' }, { code: 'county', label: '分平台' }];
const ROLES = [
  { code: 'operator', label: '话务员' }, { code: 'coordinator', label: '总平台协调员' },
  { code: 'county_coordinator', label: '分平台协调员' }, { code: 'admin', label: '管理员' }, { code: 'auditor', label: '审计员' }, { code: 'leader', label: '领导' },
  { code: 'supervisor', label: '监督员' },
];
const SUPERVISOR_KINDS = [
  { code: 'npc_deputy', label: '人大代表' }, { code: 'cppcc_member', label: '政协委员' },
  { code: 'special_supervisor', label: '特约监督员' }, { code: 'media', label: '媒体' },
];
const CONTACTS = [['handler', '承办联系人'], ['spokesperson', '紧急联系人（短信）'], ['leader', '分管领导']];
const call = (method, path, body) => request(path, { method, body, staff: true });
const list = (text) => text.split(/[,，\s|]+/).filter(Boolean);
const label = (options, code) => (options.find((o) => o.code === code) || { label: code || '' }).label;

function input(name, value = '', attrs = {}) {
  return h('input', { name, value: value || '', autocomplete: 'off', ...attrs });
}

function problem(err, form, summary) {
  const unplaced = form ? showFieldErrors(form, err.fields) : (err.fields || []).map((f) => f.message);
  replace(summary, errorSummary(err, unplaced));
}

export function directorySection(tax) {
  const root = h('section', { class: 'panel', 'aria-labelledby': 'dir-title' }, h('h2', { id: 'dir-title' }, '单位与账号目录'));
  const state = { units: [], staff: [], platform: '', level: '' };
  const notice = h('div', { 'aria-live': 'polite' });
  const unitBox = h('div');
  const staffBox = h('div');
  const formBox = h('div');
  const platformOptions = () => [{ code: 'city', label: '市级平台' },
    ...state.units.filter((u) => u.level === 'county' && u.active).map((u) => ({ code: u.id, label: u.name }))];

  async function load(message) {
    try {
      const [units, staff] = await Promise.all([call('GET', '/api/admin/units'), call('GET', '/api/admin/staff')]);
      state.units = units.items;
      state.staff = staff.items;
    } catch (err) {
      replace(notice, alertBox(err.message));
      return;
    }
    replace(notice, message || null);
    renderUnits();
    renderStaff();
  }

  async function toggle(kind, id, active) {
    const base = kind === 'unit' ? '/api/admin/units/' : '/api/admin/staff/';
    try {
      await call('POST', `${base}${encodeURIComponent(id)}/${active ? 'disable' : 'enable'}`, {});
      await load(alertBox(`${id} 已${active ? '停用' : '启用'}。`, 'success'));
    } catch (err) {
      const cases = err.cases || [];
      replace(notice, h('div', { class: 'alert alert-error', role: 'alert' },
        h('p', { class: 'alert-title' }, err.message),
        cases.length ? h('ul', null, cases.map((c) => h('li', null, h('a', { href: `staff.html#case=${encodeURIComponent(c)}` }, c)))) : null,
        cases.length ? h('p', null, '请先在工作台将以上诉求改派给其他单位，再停用。') : null));
      notice.querySelector('[role=alert]').focus?.();
    }
  }

  // 二次验证 (§17): an enrolled or locked factor is reset by an admin (a lost phone, a lock-out);
  // the next sign-in enrols afresh, and the reset is in the directory changes.
  const locked = (s) => s.second_factor_locked_until && new Date(s.second_factor_locked_until) > new Date();
  function factorCell(s) {
    const state = s.second_factor === 'enrolled' ? badge('已设置') : badge('未设置', 'muted');
    return h('td', null, state, locked(s) ? badge(`锁定至 ${formatDateTime(s.second_factor_locked_until)}`, 'soon') : null);
  }

  async function resetFactor(s) {
    const ok = await confirmDialog({
      title: `重置 ${s.name || s.email} 的二次验证？`,
      message: '动态验证码的密钥和恢复码将作废，锁定随之解除；该账号下次登录时须重新设置动态验证码。请先与本人核实（如手机丢失或更换）。',
      details: [['账号', s.email]],
      confirmLabel: '重置二次验证',
      danger: true,
    });
    if (!ok) return;
    try {
      await call('POST', `/api/admin/staff/${encodeURIComponent(s.email)}/reset-totp`, {});
      await load(alertBox(`已重置 ${s.email} 的二次验证，下次登录时重新设置。此次重置已记入目录变更记录（${formatDate(new Date().toISOString())}）。`, 'success'));
    } catch (err) {
      replace(notice, alertBox(err.message));
    }
  }

  function renderUnits() {
    const platforms = platformOptions();
    const byPlatform = select('platform', platforms, { placeholder: '全部平台', value: state.platform });
    const byLevel = select('level', LEVELS, { placeholder: '全部层级', value: state.level });
    byPlatform.addEventListener('change', () => { state.platform = byPlatform.value; renderUnits(); });
    byLevel.addEventListener('change', () => { state.level = byLevel.value; renderUnits(); });
    const shown = state.units.filter((u) => (!state.level || u.level === state.level)
      && (!state.platform || (u.level === 'county' ? u.id === state.platform : u.platform === state.platform)));
    replace(unitBox,
      h('h3', null, '单位与分平台'),
      h('div', { class: 'grid-2' }, field({ label: '按平台筛选', control: byPlatform }), field({ label: '按层级筛选', control: byLevel })),
      h('div', { class: 'form-actions' },
        h('button', { type: 'button', class: 'btn btn-primary', onclick: () => unitForm(null) }, '新增单位'),
        h('button', { type: 'button', class: 'btn btn-secondary', onclick: exportCsv }, '导出 CSV')),
      h('div', { class: 'table-scroll' }, h('table', { class: 'data-table', id: 'units-table' },
        h('caption', null, `共 ${shown.length} 个`),
        h('thead', null, h('tr', null, ['名称', '编号', '层级', '所属平台', '承办联系人', '状态', '操作'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, shown.map((u) => h('tr', { dataset: { unit: u.id } },
          h('th', { scope: 'row' }, u.name),
          h('td', null, u.id),
          h('td', null, u.level === 'county' ? '分平台' : label(KINDS, u.kind)),
          h('td', null, u.level === 'county' ? (u.districts || []).join('、') : label(platforms, u.platform)),
          h('td', null, (u.handler || {}).email || ''),
          h('td', null, u.active ? badge('在用') : badge('已停用', 'muted')),
          h('td', null,
            h('button', { type: 'button', class: 'btn btn-link', 'aria-label': `编辑 ${u.name}`, onclick: () => unitForm(u) }, '编辑'),
            h('button', { type: 'button', class: 'btn btn-link', 'aria-label': `${u.active ? '停用' : '启用'} ${u.name}`, onclick: () => toggle('unit', u.id, u.active) }, u.active ? '停用' : '启用'))))))),
      importForm());
  }

  function unitForm(unit) {
    const u = unit || { level: 'unit', kind: 'town', categories: [] };
    const c = {
      id: input('id', u.id, { disabled: Boolean(unit), required: true, pattern: '[a-z0-9-]{2,64}' }),
      name: input('name', u.name, { required: true }),
      level: select('level', LEVELS, { value: u.level }),
      kind: select('kind', KINDS, { value: u.kind }),
      parent: select('parent', platformOptions(), { placeholder: '按所在区县', value: u.parent }),
      district: select('district', [{ code: 'city', label: '市本级' }, ...optionsOf(tax, 'districts').filter((d) => d.code !== 'city')], { value: u.district }),
      districts: input('districts', (u.districts || []).join(', ')),
      triage: select('triage', [{ code: 'county_triage', label: '分平台受理' }, { code: 'city_triage', label: '总平台受理' }], { value: u.triage }),
      categories: input('categories', (u.categories || []).join(', ')),
    };
    if (unit) c.level.disabled = true;
    const contacts = CONTACTS.map(([role, title]) => {
      const v = u[role] || {};
      const parts = { name: input(`${role}.name`, v.name), email: input(`${role}.email`, v.email, { type: 'email' }), phone: input(`${role}.phone`, v.phone, { type: 'tel' }) };
      return { role, parts, element: h('fieldset', { class: 'field' }, h('legend', null, title), h('div', { class: 'grid-2' },
        field({ label: '姓名', control: parts.name, path: `${role}.name` }),
        field({ label: '电子邮箱', control: parts.email, path: `${role}.email` }),
        field({ label: role === 'spokesperson' ? '手机号（紧急件短信）' : '电话', control: parts.phone, path: `${role}.phone` }))) };
    });
    const summary = h('div', { 'aria-live': 'assertive' });
    const button = h('button', { type: 'submit', class: 'btn btn-primary' }, unit ? '保存修改' : '新增');
    const form = h('form', { class: 'form panel', novalidate: true, id: 'unit-form', 'aria-label': unit ? `编辑 ${u.name}` : '新增单位' },
      h('h3', null, unit ? `编辑：${u.name}` : '新增单位或分平台'), summary,
      h('div', { class: 'grid-2' },
        field({ label: '编号（小写字母、数字、连字符）', control: c.id, path: 'id' }),
        field({ label: '名称', control: c.name, path: 'name' }),
        field({ label: '层级', control: c.level, path: 'level' }),
        field({ label: '类型', control: c.kind, path: 'kind' }),
        field({ label: '上级平台', control: c.parent, path: 'parent', hint: '乡镇街道选所属分平台；不选则按所在区县' }),
        field({ label: '所在区县', control: c.district, path: 'district' }),
        field({ label: '分平台覆盖区县（代码，逗号分隔）', control: c.districts, path: 'districts' }),
        field({ label: '分平台受理方式', control: c.triage, path: 'triage' })),
      field({ label: '承办分类（代码，逗号分隔）', control: c.categories, path: 'categories', hint: optionsOf(tax, 'categories').map((x) => `${x.code} ${x.label}`).join('；') }),
      contacts.map((x) => x.element),
      h('div', { class: 'form-actions' }, button,
        h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => replace(formBox) }, '取消')));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      summary.replaceChildren();
      const county = c.level.value === 'county';
      const body = { name: c.name.value.trim(), level: c.level.value, district: c.district.value, categories: list(c.categories.value) };
      if (!unit) body.id = c.id.value.trim();
      if (county) Object.assign(body, { districts: list(c.districts.value), triage: c.triage.value, city_categories: u.city_categories || [] });
      else Object.assign(body, { kind: c.kind.value, ...(c.parent.value ? { parent: c.parent.value } : {}) });
      if (county && !c.district.value) delete body.district;
      for (const x of contacts) {
        const v = {};
        for (const [k, el] of Object.entries(x.parts)) if (el.value.trim()) v[k] = el.value.trim();
        body[x.role] = v;
      }
      setBusy(button, true, '正在保存…');
      try {
        const saved = unit ? await call('PUT', `/api/admin/units/${encodeURIComponent(u.id)}`, body) : await call('POST', '/api/admin/units', body);
        replace(formBox);
        await load(alertBox(`已保存：${saved.name}（${saved.id}）。`, 'success'));
      } catch (err) {
        setBusy(button, false);
        problem(err, form, summary);
      }
    });
    replace(formBox, form);
    c.name.focus();
  }

  async function exportCsv() {
    const session = staffSession() || {};
    try {
      const answer = await fetch('/api/admin/units/export', { headers: { Authorization: `Bearer ${session.session_token}` }, cache: 'no-store' });
      if (!answer.ok) throw new Error();
      const url = URL.createObjectURL(await answer.blob());
      const a = h('a', { href: url, download: 'units.csv', hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch {
      replace(notice, alertBox('导出失败，请稍后重试。'));
    }
  }

  function importForm() {
    const file = h('input', { type: 'file', name: 'csv', accept: '.csv,text/csv', required: true });
    const report = h('div', { 'aria-live': 'assertive', id: 'import-report' });
    const button = h('button', { type: 'submit', class: 'btn btn-secondary' }, '导入');
    const form = h('form', { class: 'form', novalidate: true, 'aria-labelledby': 'import-title' },
      h('h3', { id: 'import-title' }, '批量导入单位（CSV）'),
      h('p', { class: 'hint' }, '列与“导出 CSV”相同（UTF-8，可带或不带 BOM）。逐行检查：任何一行有错，整个文件都不写入，并列出出错的行号和列。'),
      field({ label: 'CSV 文件', control: file, path: 'csv' }), report, h('div', { class: 'form-actions' }, button));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      report.replaceChildren();
      if (!file.files.length) {
        replace(report, alertBox('请选择 CSV 文件。'));
        return;
      }
      setBusy(button, true, '正在导入…');
      try {
        const done = await call('POST', '/api/admin/units/import', { csv: await file.files[0].text() });
        await load(alertBox(`导入完成：共 ${done.rows} 行，新增 ${done.created} 个，修改 ${done.updated} 个，未变 ${done.unchanged} 个。`, 'success'));
      } catch (err) {
        setBusy(button, false);
        problem(err, null, report);
      }
    });
    return form;
  }

  function renderStaff() {
    replace(staffBox,
      h('h3', null, '工作人员账号'),
      h('div', { class: 'form-actions' }, h('button', { type: 'button', class: 'btn btn-primary', onclick: () => staffForm(null) }, '新增账号')),
      h('div', { class: 'table-scroll' }, h('table', { class: 'data-table' },
        h('thead', null, h('tr', null, ['邮箱', '姓名', '角色', '分平台', '状态', '二次验证', '操作'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, state.staff.map((s) => h('tr', { 'data-staff': s.email },
          h('th', { scope: 'row' }, s.email), h('td', null, s.name), h('td', null, label(ROLES, s.role)),
          h('td', null, s.county ? label(platformOptions(), s.county) : ''),
          h('td', null, s.active ? badge('在用') : badge('已停用', 'muted')),
          factorCell(s),
          h('td', null,
            h('button', { type: 'button', class: 'btn btn-link', 'aria-label': `编辑 ${s.email}`, onclick: () => staffForm(s) }, '编辑'),
            h('button', { type: 'button', class: 'btn btn-link', 'aria-label': `${s.active ? '停用' : '启用'} ${s.email}`, onclick: () => toggle('staff', s.email, s.active) }, s.active ? '停用' : '启用'),
            s.second_factor === 'enrolled' || locked(s)
              ? h('button', { type: 'button', class: 'btn btn-link', 'aria-label': `重置二次验证 ${s.email}`, onclick: () => resetFactor(s) }, '重置二次验证')
              : null)))))));
  }

  function staffForm(account) {
    const s = account || { role: 'operator' };
    const email = input('email', s.email, { type: 'email', disabled: Boolean(account) });
    const name = input('name', s.name);
    const role = select('role', ROLES, { value: s.role });
    const county = select('county', platformOptions().filter((p) => p.code !== 'city'), { placeholder: '（无）', value: s.county });
    // 监督员 (§16): the public title shown with their 评议, and their kind.
    const title = input('title', s.title);
    const kind = select('supervisor_kind', SUPERVISOR_KINDS, { placeholder: '（无）', value: s.supervisor_kind });
    const summary = h('div', { 'aria-live': 'assertive' });
    const button = h('button', { type: 'submit', class: 'btn btn-primary' }, account ? '保存修改' : '新增');
    const form = h('form', { class: 'form panel', novalidate: true, 'aria-label': account ? `编辑 ${s.email}` : '新增账号' },
      h('h3', null, account ? `编辑账号：${s.email}` : '新增工作人员账号'), summary,
      h('div', { class: 'grid-2' },
        field({ label: '电子邮箱（登录用）', control: email, path: 'email' }), field({ label: '姓名', control: name, path: 'name' }),
        field({ label: '角色', control: role, path: 'role' }), field({ label: '分平台（仅分平台协调员）', control: county, path: 'county' }),
        field({ label: '公开称谓（仅监督员，如“市人大代表 张某某”）', control: title, path: 'title' }),
        field({ label: '监督员类别（仅监督员）', control: kind, path: 'supervisor_kind' })),
      h('div', { class: 'form-actions' }, button, h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => replace(formBox) }, '取消')));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearFieldErrors(form);
      summary.replaceChildren();
      const body = { role: role.value, name: name.value.trim(), ...(county.value ? { county: county.value } : {}) };
      if (title.value.trim()) body.title = title.value.trim();
      if (kind.value) body.supervisor_kind = kind.value;
      if (!account) body.email = email.value.trim();
      setBusy(button, true, '正在保存…');
      try {
        const saved = account ? await call('PUT', `/api/admin/staff/${encodeURIComponent(s.email)}`, body) : await call('POST', '/api/admin/staff', body);
        replace(formBox);
        await load(alertBox(`已保存账号 ${saved.email}。`, 'success'));
      } catch (err) {
        setBusy(button, false);
        problem(err, form, summary);
      }
    });
    replace(formBox, form);
    (account ? name : email).focus();
  }

  root.append(h('p', { class: 'hint' }, '停用不删除：停用的单位不再接收交办，历史记录保留；有未办结诉求的单位须先改派。每次修改都记录修改人、时间和修改前后内容，供审计查阅。'),
    notice, formBox, unitBox, staffBox);
  load();
  return root;
}
