// 审计查询 (audit.html): the auditor's search of closed and archived cases, a case's full
// history with its hash-chain check, exports with their SHA-256 manifest, and the access log
// (/api/audit/*). Uses the staff session staff.js keeps; every value goes in as text.
import { h, $, replace } from './dom.js';
import { get, post, staffSession, clearStaffSession } from './api.js';
import { formatDateTime, todayInShanghai } from './format.js';
import {
  taxonomy, departments, optionsOf, labelOf, select, field, loading, alertBox, errorBox, errorSummary,
  clearFieldErrors, showFieldErrors, setBusy, badge, stateBadge, facts,
} from './ui.js';
import { caseHeading, caseContent, repliesSection } from './caseview.js';
import { signInForm, signOutButton, staffBar } from './signin.js';
import { lifecycle, stateLabel, stateOptions, eventLabel } from './lifecycle.js';

const app = $('#app');
const TITLE = '审计查询';
const pairs = (list) => list.map(([code, label]) => ({ code, label }));
const YES_NO = pairs([['yes', '是'], ['no', '否']]);
// The fixed choices: [label, "any" option, options].
const CHOICES = {
  // The states of the auditors' archive: those the lifecycle marks audited, once it is read.
  get state() { return ['状态', '全部', stateOptions({ keep: (s) => s.audited })]; },
  breached: ['超时', '不限', pairs([['any', '任意超时'], ['none', '未超时'], ['triage', '受理超时'], ['response', '签收超时'], ['reply', '答复超时']])],
  extension: ['延期', '不限', YES_NO],
  rating: ['评价', '不限', pairs([['satisfied', '满意'], ['basically_satisfied', '基本满意'], ['unsatisfied', '不满意'], ['none', '未评价']])],
  reopened: ['重办', '不限', YES_NO],
};
const LABELS = { from: '起始月份', to: '截止月份', department: '牵头单位', district: '区县', kind: '类型', category: '分类', month: '月份' };
for (const [k, [label]] of Object.entries(CHOICES)) LABELS[k] = label;
const CHANNELS = { web: '网站留言', hotline: '热线电话', mailbox: '信箱来信', open311: '开放接口', mail: '市长信箱（邮件）' };
const FACTS = { text: '留言内容', contact: '联系方式', replies: '答复', public_version: '公开版本' };
const ACTIONS = { search: '查询', case: '查看事件记录', verify: '重新校验', export: '导出', 'export-manifest': '查看导出清单', 'export-verify': '核对导出', 'access-log': '查看访问记录' };
const LOG_ROWS = 100;

const auditGet = (path, query) => get(path, { staff: true, query });
const TAX = { district: 'districts', kind: 'kinds', category: 'categories' };
const times = (n) => (n ? `${n} 次` : '否');
const hash = (value, full) => (value ? h('code', { class: 'hash', title: value }, full ? value : value.slice(0, 12)) : '—');
let tax = null;
let depts = [];

/** "YYYY-MM" n months before `month`. */
function monthsBack(month, n) {
  const [y, m] = month.split('-').map(Number);
  const t = y * 12 + m - 1 - n;
  return `${Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')}`;
}

/** A filter in words: "2026-01 至 2026-12 · 牵头单位：市教育局 · 超时：答复超时". */
function describe(f) {
  const out = f.from ? [`${f.from} 至 ${f.to}`] : [];
  for (const [k, v] of Object.entries(f)) {
    if (k === 'from' || k === 'to' || k === 'cursor' || !v) continue;
    const dept = k === 'department' && depts.find((d) => d.id === v);
    const choice = CHOICES[k] && CHOICES[k][2].find((o) => o.code === v);
    out.push(`${LABELS[k] || k}：${dept ? dept.name : choice ? choice.label : TAX[k] ? labelOf(tax, TAX[k], v) : v}`);
  }
  return out.join(' · ');
}

const fieldMessages = (err) => (err.fields || []).map((f) => `${LABELS[f.field] || f.field}：${f.message}`);

// ---- session ------------------------------------------------------------------------------

function signedOut(notice) {
  signInForm(app, notice, `${TITLE}：请先登录`);
}

/** 401 ends the session, 403 is not an auditor; true when handled. */
function refused(err) {
  if (err && err.status === 401) {
    clearStaffSession();
    signedOut('登录已过期或已在别处退出，请重新登录。');
  } else if (err && err.status === 403) {
    noAccess(staffSession() || {});
  } else return false;
  return true;
}

const bar = (me) => staffBar(me, signOutButton(() => signedOut('您已退出登录。')));

function noAccess(me) {
  replace(app, bar(me), h('section', { class: 'panel narrow' }, h('h1', null, TITLE),
    alertBox('当前账号无权查看此页面：审计查询只对审计员开放。', 'info'),
    h('p', null, h('a', { href: 'staff.html' }, '返回工作人员页面'))));
}

// ---- the query ----------------------------------------------------------------------------

function departmentSelect() {
  const el = h('select', { name: 'department' }, h('option', { value: '' }, '全部单位'));
  const groups = new Map();
  for (const d of depts) {
    const key = d.district_label || '其他';
    if (!groups.has(key)) groups.set(key, h('optgroup', { label: key }));
    groups.get(key).append(h('option', { value: d.id }, d.name));
  }
  el.append(...groups.values());
  return el;
}

function queryForm(onSearch) {
  const now = todayInShanghai().slice(0, 7);
  const month = (name) => h('input', { type: 'month', name, max: now, placeholder: 'YYYY-MM' });
  const c = {
    from: month('from'),
    to: month('to'),
    department: departmentSelect(),
    district: select('district', optionsOf(tax, 'districts'), { placeholder: '全部区县' }),
    kind: select('kind', optionsOf(tax, 'kinds'), { placeholder: '全部类型' }),
    category: select('category', optionsOf(tax, 'categories'), { placeholder: '全部分类' }),
  };
  for (const [k, [, any, list]] of Object.entries(CHOICES)) c[k] = select(k, list, { placeholder: any });
  const defaults = () => {
    c.from.value = monthsBack(now, 11);
    c.to.value = now;
  };
  defaults();
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, '查询');
  const form = h('form', { class: 'filters filters-audit', role: 'search', 'aria-label': '审计查询条件', novalidate: true },
    Object.entries(c).map(([k, control]) => field({ label: LABELS[k], control, path: k })),
    h('div', { class: 'filters-actions' }, submit, h('button', { type: 'reset', class: 'btn btn-link' }, '清除')));
  form.addEventListener('reset', () => setTimeout(defaults));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const f = {};
    for (const [k, control] of Object.entries(c)) if (control.value) f[k] = control.value;
    onSearch(f, submit);
  });
  return form;
}

function resultRow(c, open) {
  return h('tr', null,
    h('td', null, h('button', { type: 'button', class: 'btn btn-link case-link', onclick: () => open(c.case_id) }, c.case_id)),
    h('td', { class: 'title-cell' }, c.title),
    h('td', null, c.lead ? c.lead.name : '—'),
    h('td', { class: 'nowrap' }, formatDateTime(c.created_at), h('br'), formatDateTime(c.closed_at)),
    h('td', null, stateBadge(c.state, c.state_label)),
    h('td', null, c.breach_labels.length ? c.breach_labels.map((l) => badge(l, 'overdue')) : '未超时'),
    h('td', null, times(c.extensions_used)),
    h('td', null, times(c.reopen_count)),
    h('td', null, c.rating_label));
}

const COLUMNS = ['编号', '标题', '牵头单位', '提交 / 办结时间', '状态', '超时', '延期', '重办', '评价'];

// ---- a case's history ----------------------------------------------------------------------

function verdict(v, at) {
  const mismatched = Object.entries(v.facts || {}).filter(([, s]) => s === 'mismatch');
  const broken = v.first_broken;
  const anonymised = Object.values(v.facts || {}).includes('anonymised');
  return h('div', { class: `alert alert-${v.valid ? 'success' : 'error'} verdict`, role: 'status' },
    h('p', { class: 'alert-title' }, v.valid ? '✓ 记录完整，哈希链校验通过'
      : `✗ 校验失败：${broken ? `${broken.message}（第 ${broken.seq} 条事件）` : '记录的内容与哈希不符'}`),
    mismatched.length ? h('ul', null, mismatched.map(([k]) => h('li', null, `${FACTS[k] || k}与事件记录中的哈希不符`))) : null,
    h('p', null, `已校验 ${v.checked} / ${v.event_count} 条事件，链头哈希 `, hash(v.head_hash),
      anonymised ? '；联系方式已匿名化。' : '。',
      at ? ` 重新校验于 ${formatDateTime(at)}。` : ''));
}

function eventItem(e, brokenSeq) {
  const data = Object.entries(e.data || {}).filter(([, v]) => v !== '' && v !== null);
  return h('li', { class: e.public === false ? 'internal' : '', dataset: { seq: e.seq } },
    h('div', { class: 'tl-head' },
      h('span', { class: 'mono' }, `#${e.seq}`),
      h('strong', null, e.label || eventLabel(e.type)),
      e.public === false ? badge('内部', 'internal') : null,
      e.seq === brokenSeq ? badge('校验失败', 'overdue') : null,
      h('span', { class: 'tl-actor' }, [e.actor_label, e.actor_id].filter(Boolean).join(' · ')),
      e.to_state && e.from_state !== e.to_state ? h('span', { class: 'tl-actor' }, `${e.from_state ? `${stateLabel(e.from_state)} → ` : ''}${stateLabel(e.to_state)}`) : null),
    h('time', { datetime: e.at, class: 'muted' }, formatDateTime(e.at)),
    e.note ? h('p', { class: 'tl-note' }, e.note) : null,
    data.length ? h('p', { class: 'hash-line' }, data.map(([k, v]) => `${k}=${v}`).join(' · ')) : null,
    h('p', { class: 'hash-line' }, '哈希 ', hash(e.hash), ' ← 前序 ', hash(e.prev_hash)));
}

function caseView(c, close) {
  const v = c.verification;
  const box = h('div', { 'aria-live': 'polite' }, verdict(v));
  const again = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, '重新校验');
  again.addEventListener('click', async () => {
    setBusy(again, true, '正在校验…');
    try {
      replace(box, verdict(await auditGet(`/api/audit/cases/${encodeURIComponent(c.case_id)}/verify`), new Date().toISOString()));
    } catch (err) {
      if (!refused(err)) replace(box, errorBox(err));
    } finally {
      setBusy(again, false);
    }
  });
  const contact = c.contact ? [c.contact.name, c.contact.phone, c.contact.email].filter(Boolean).join(' · ') : '已匿名化';
  const broken = v.first_broken ? v.first_broken.seq : null;
  return h('div', { class: 'audit-case', tabindex: '-1' },
    h('div', { class: 'panel-close' }, h('button', { type: 'button', class: 'btn btn-link', onclick: close }, '关闭事件记录')),
    caseHeading(c, 'h2'),
    box,
    h('div', { class: 'form-actions' }, again),
    h('section', { class: 'panel' }, h('h2', null, '案件信息'), facts([
      ['留言编号', h('span', { class: 'mono' }, c.case_id)],
      ['类型', c.kind_label],
      ['分类', c.category_label],
      ['区县', c.district_label],
      ['渠道', CHANNELS[c.channel] || c.channel],
      ['紧急程度', c.urgency_label],
      ['留言人', contact],
      ['牵头单位', c.lead ? c.lead.name : null],
      ['协办单位', (c.co_handlers || []).map((d) => d.name).join('、')],
      ['提交时间', formatDateTime(c.created_at)],
      ['办结时间', formatDateTime(c.closed_at)],
      ['归档时间', formatDateTime(c.archived_at)],
      ['匿名化时间', formatDateTime(c.anonymised_at)],
      ['超时', c.breach_labels.join('、') || '未超时'],
      ['延期', times(c.extensions_used)],
      ['重办', times(c.reopen_count)],
      ['评价', c.rating_label],
      ['链头哈希', hash(c.head_hash, true)],
    ])),
    caseContent(c),
    repliesSection(c.replies, { emptyText: '无答复。' }),
    h('section', { class: 'panel' },
      h('h2', null, `事件记录（${c.events.length} 条）`),
      h('p', { class: 'hint' }, 'SHA-256 哈希显示前 12 位，悬停可见全文。'),
      h('ol', { class: 'timeline' }, c.events.map((e) => eventItem(e, broken)))));
}

// ---- exports -------------------------------------------------------------------------------

function manifestView(m) {
  const check = h('button', { type: 'button', class: 'btn btn-secondary' }, '核对导出');
  const checked = h('div', { 'aria-live': 'polite' });
  check.addEventListener('click', async () => {
    setBusy(check, true, '正在核对…');
    try {
      const r = await auditGet(`/api/audit/exports/${encodeURIComponent(m.export_id)}/verify`);
      const notes = [
        r.extended.length ? `导出后追加了事件（如匿名化）：${r.extended.join('、')}` : null,
        r.closed_since.length ? `导出后办结：${r.closed_since.join('、')}` : null,
      ].filter(Boolean);
      replace(checked, h('div', { class: `alert alert-${r.valid ? 'success' : 'error'}`, role: 'status' },
        h('p', { class: 'alert-title' }, r.valid ? `✓ 导出完整：SHA-256 与清单一致，${r.count} 件记录未变。` : '✗ 导出核对未通过'),
        r.problems.length || notes.length ? h('ul', null, [...r.problems, ...notes].map((p) => h('li', null, p))) : null));
    } catch (err) {
      if (!refused(err)) replace(checked, errorBox(err));
    } finally {
      setBusy(check, false);
    }
  });
  return h('div', { class: 'export-result' },
    alertBox(`已导出 ${m.count} 件诉求。`, 'success'),
    facts([
      ['导出编号', h('span', { class: 'mono' }, m.export_id)],
      ['导出时间', formatDateTime(m.created_at)],
      ['导出人', m.created_by],
      ['查询条件', describe(m.filter || {})],
      ['清单', h('a', { href: m.manifest_url, download: `${m.export_id}-manifest.json` }, '下载 manifest.json')],
    ]),
    h('ul', { class: 'plain-list export-files' }, m.files.map((f) => h('li', null,
      h('a', { href: f.url, download: `${m.export_id}-${f.name}` }, `下载 ${f.name}`),
      ` · ${f.rows} 行 · ${f.bytes} 字节`,
      h('span', { class: 'hash-line' }, 'SHA-256 ', hash(f.sha256, true))))),
    h('div', { class: 'form-actions' }, check),
    checked);
}

// ---- the access log ------------------------------------------------------------------------

function logSection() {
  const now = todayInShanghai().slice(0, 7);
  const month = h('input', { type: 'month', name: 'month', value: now, max: now, placeholder: 'YYYY-MM' });
  const list = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'btn btn-secondary' }, '查看');
  const form = h('form', { class: 'toolbar', novalidate: true },
    field({ label: '月份', control: month, path: 'month' }), button);
  const filterText = (raw) => {
    try {
      return describe(JSON.parse(raw || '{}'));
    } catch {
      return raw;
    }
  };
  const load = async () => {
    clearFieldErrors(form);
    setBusy(button, true, '正在读取…');
    replace(list, loading());
    try {
      const d = await auditGet('/api/audit/log', { month: month.value });
      const rows = d.entries.slice(0, LOG_ROWS);
      replace(list, rows.length ? [
        h('p', { class: 'muted' }, d.entries.length > LOG_ROWS ? `${d.month} 共 ${d.entries.length} 条，显示最近 ${LOG_ROWS} 条。` : `${d.month} 共 ${d.entries.length} 条。`),
        h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': '访问记录列表' }, h('table', { class: 'data-table audit-table' },
          h('thead', null, h('tr', null, ['时间', '账号', '操作', '对象 / 条件', '件数'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', null, rows.map((e) => h('tr', null,
            h('td', { class: 'nowrap' }, formatDateTime(e.at)),
            h('td', null, e.actor),
            h('td', null, ACTIONS[e.action] || e.action),
            h('td', { class: 'title-cell' }, e.target ? h('span', { class: 'mono' }, e.target) : null, e.target && e.filter !== '{}' ? ' ' : null, filterText(e.filter)),
            h('td', null, e.count === null || e.count === undefined ? '' : String(e.count))))))),
      ] : h('p', { class: 'muted' }, `${d.month} 暂无访问记录。`));
    } catch (err) {
      if (refused(err)) return;
      showFieldErrors(form, err.fields);
      replace(list, errorBox(err));
    } finally {
      setBusy(button, false);
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  return [load, h('section', { class: 'panel', 'aria-labelledby': 'log-title' },
    h('h2', { id: 'log-title' }, '访问记录'),
    h('p', { class: 'hint' }, '谁在何时查询、查看、导出了什么，最新的在前。'),
    form, list)];
}

// ---- the directory's change records (§15) -----------------------------------------------------

const DIR_ACTIONS = { 'unit.create': '新增单位', 'unit.update': '修改单位', 'unit.disable': '停用单位', 'unit.enable': '启用单位', 'unit.import': '导入单位', 'staff.create': '新增账号', 'staff.update': '修改账号', 'staff.disable': '停用账号', 'staff.enable': '启用账号' };

/** Which fields a change touched: "name: 旧 → 新; …" (a new item: its fields). */
function changed(before, after) {
  const keys = [...new Set([...Object.keys(before || {}), ...Object.keys(after || {})])];
  const text = (v) => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  return keys.filter((k) => text((before || {})[k]) !== text((after || {})[k]))
    .map((k) => (before ? `${k}: ${text(before[k])} → ${text(after[k])}` : `${k}: ${text(after[k])}`)).join('；');
}

function directoryChangesSection() {
  const list = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'btn btn-secondary' }, '查看目录变更记录');
  let cursor = null;
  const load = async () => {
    setBusy(button, true, '正在读取…');
    try {
      const d = await auditGet('/api/audit/directory-changes', cursor ? { cursor } : undefined);
      cursor = d.next_cursor;
      const rows = d.items.map((e) => h('tr', null,
        h('td', { class: 'nowrap' }, formatDateTime(e.at)), h('td', null, e.by),
        h('td', null, DIR_ACTIONS[e.action] || e.action), h('td', null, h('span', { class: 'mono' }, e.target)),
        h('td', { class: 'title-cell' }, changed(e.before, e.after))));
      const body = list.querySelector('tbody');
      if (body) body.append(...rows);
      else {
        replace(list, rows.length ? h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': '目录变更记录列表' },
          h('table', { class: 'data-table audit-table' },
            h('thead', null, h('tr', null, ['时间', '账号', '操作', '对象', '修改内容（修改前 → 修改后）'].map((t) => h('th', { scope: 'col' }, t)))),
            h('tbody', null, rows))) : h('p', { class: 'muted' }, '暂无目录变更记录。'));
      }
      button.hidden = !cursor;
    } catch (err) {
      if (refused(err)) return;
      replace(list, errorBox(err));
    } finally {
      setBusy(button, false);
      if (cursor) button.textContent = '更多';
    }
  };
  button.addEventListener('click', load);
  return h('section', { class: 'panel', 'aria-labelledby': 'dir-changes-title' },
    h('h2', { id: 'dir-changes-title' }, '目录变更记录'),
    h('p', { class: 'hint' }, '管理员对单位、分平台和工作人员账号的每次修改：谁、何时、修改前后，最新的在前。'),
    list, h('div', { class: 'form-actions' }, button));
}

// ---- the page -------------------------------------------------------------------------------

function page(me) {
  let shown = null; // the filter of the results on screen
  let cursor = null;
  let count = 0;
  let sequence = 0;
  const [logFirst, log] = logSection();
  let loadLog = logFirst; // once the first search is in the log
  const summary = h('div', { 'aria-live': 'assertive' });
  const status = h('div', { class: 'list-status', 'aria-live': 'polite' });
  const tbody = h('tbody');
  const table = h('div', { class: 'table-scroll', hidden: true }, h('table', { class: 'data-table audit-table' },
    h('caption', { class: 'visually-hidden' }, '查询结果'),
    h('thead', null, h('tr', null, COLUMNS.map((t) => h('th', { scope: 'col' }, t)))), tbody));
  const more = h('button', { type: 'button', class: 'btn btn-secondary', hidden: true }, '加载更多');
  const history = h('div');
  const exportButton = h('button', { type: 'button', class: 'btn btn-primary', disabled: true }, '导出当前查询结果');
  const exported = h('div', { 'aria-live': 'polite' });

  const close = () => history.replaceChildren();
  async function openCase(id) {
    replace(history, loading('正在读取事件记录…'));
    try {
      const c = await auditGet(`/api/audit/cases/${encodeURIComponent(id)}`);
      const view = caseView(c, close);
      replace(history, view);
      view.focus();
    } catch (err) {
      if (!refused(err)) replace(history, errorBox(err, () => openCase(id)));
    }
  }

  async function search(f, button) {
    const mine = ++sequence;
    const reset = f !== null;
    if (reset) {
      clearFieldErrors(form);
      summary.replaceChildren();
      setBusy(button, true, '正在查询…');
      cursor = null;
    } else setBusy(more, true, '正在加载…');
    const filter = reset ? f : shown;
    try {
      const found = [];
      // A page may come back empty with a cursor (months without a match): read on a little.
      for (let pages = 0; pages < 10; pages += 1) {
        const data = await auditGet('/api/audit/cases', { ...filter, cursor });
        if (mine !== sequence) return;
        found.push(...data.cases);
        cursor = data.next_cursor || null;
        if (found.length || !cursor) break;
      }
      if (reset) {
        shown = filter;
        count = 0;
        tbody.replaceChildren();
        close();
        replace(exported);
      }
      for (const c of found) tbody.append(resultRow(c, openCase));
      count += found.length;
      table.hidden = !count;
      more.hidden = !cursor;
      exportButton.disabled = false;
      replace(status, count
        ? h('p', null, `查询条件：${describe(shown)}。`, h('strong', null, cursor ? `已显示 ${count} 件，还有更多。` : `共 ${count} 件。`))
        : alertBox(`没有符合条件的诉求（${describe(shown)}）。`, 'info'));
    } catch (err) {
      if (mine !== sequence || refused(err)) return;
      const unplaced = showFieldErrors(form, err.fields);
      replace(summary, errorSummary(err, err.fields.length ? fieldMessages(err) : unplaced));
    } finally {
      setBusy(reset ? button : more, false);
      if (loadLog) loadLog();
      loadLog = null;
    }
  }

  exportButton.addEventListener('click', async () => {
    setBusy(exportButton, true, '正在导出…');
    replace(exported, loading('正在生成导出文件…'));
    try {
      replace(exported, manifestView(await post('/api/audit/exports', shown, { staff: true })));
    } catch (err) {
      if (!refused(err)) replace(exported, errorSummary(err, fieldMessages(err)));
    } finally {
      setBusy(exportButton, false);
    }
  });
  more.addEventListener('click', () => search(null));

  const form = queryForm(search);
  replace(app,
    bar(me),
    h('h1', null, TITLE),
    h('p', { class: 'lead' }, '查询已办结、已归档的诉求，核验事件记录的哈希链，导出查询结果。每次查询和导出都记入访问记录。'),
    summary,
    form,
    h('section', { class: 'audit-results', 'aria-labelledby': 'results-title' },
      h('h2', { id: 'results-title' }, '查询结果'),
      status, table, h('div', { class: 'more' }, more)),
    history,
    h('section', { class: 'panel', 'aria-labelledby': 'export-title' },
      h('h2', { id: 'export-title' }, '导出'),
      h('p', { class: 'hint' }, '按当前查询条件导出全部结果：JSON Lines 和 CSV，附 SHA-256 清单，不含联系方式。'),
      h('div', { class: 'form-actions' }, exportButton),
      exported),
    log,
    directoryChangesSection());
  form.requestSubmit();
}

async function start() {
  const session = staffSession();
  if (!session || !session.session_token) {
    signedOut('审计查询只对审计员开放，请先登录。');
    return;
  }
  replace(app, loading());
  let me;
  try {
    me = await auditGet('/api/staff/me');
    [tax, depts] = await Promise.all([taxonomy().catch(() => null), departments().catch(() => []), lifecycle().catch(() => null)]);
  } catch (err) {
    if (!refused(err)) replace(app, errorBox(err, start));
    return;
  }
  if (me.role !== 'auditor') noAccess(me);
  else page(me);
}

start();
