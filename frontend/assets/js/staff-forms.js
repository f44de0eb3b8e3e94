// The coordinator's action forms, one per lifecycle action the console offers (受理, 不予受理, 直接答复,
// 交办, 审核退回申请, 审核延期申请, 办结). Each is (case, {tax, depts, send, done, failed}):
// send(body) posts to where the lifecycle says, done(view, message) shows the answer.
import { h, replace, uid } from './dom.js';
import { optionsOf, labelOf, field, fieldset, select, counter, truncate } from './ui.js';
import { actionForm } from './actions.js';
import { publicVersionFields } from './staff-public.js';
import { staffGet } from './staff-common.js';

function radios(name, options, value) {
  const group = uid(name);
  return options.map((o) => {
    const id = uid(name);
    return h('div', { class: 'choice' },
      h('input', { type: 'radio', name: group, id, value: o.code, checked: o.code === value }),
      h('label', { for: id }, h('strong', null, o.label), o.hint ? h('span', { class: 'choice-hint' }, o.hint) : null));
  });
}

const checkedValue = (container) => {
  const el = container.querySelector('input[type=radio]:checked');
  return el ? el.value : '';
};

const URGENCY_WORDS = {
  urgent: '情况紧急或事项简单',
  general: '一般事项',
  complex: '涉及多个部门、需会商',
};

/** What an urgency means and, from the policy in force (the taxonomy's time limits), the
 * reply time it gives a case of this kind; the page writes no figure of its own. */
function urgencyHint(tax, code, kind) {
  const table = tax && tax.time_limits ? tax.time_limits.reply_working_days || {} : {};
  const row = table[kind] || table.default || {};
  const days = row[code] || (table.default || {})[code];
  return [URGENCY_WORDS[code], days ? `${days} 个工作日内答复` : null, code === 'complex' ? '可设协办单位' : null]
    .filter(Boolean).join('，');
}

function acceptForm(c, { tax, send, done, failed }) {
  const urgency = fieldset({
    legend: '紧急程度', path: 'urgency', cls: 'choices',
    children: radios('urgency', optionsOf(tax, 'urgencies').map((o) => ({ ...o, hint: urgencyHint(tax, o.code, c.kind) })), c.urgency || 'general'),
  });
  const category = select('category', optionsOf(tax, 'categories'), { value: c.category });
  // Where the citizen's choice and the place disagree, the coordinator decides (no default).
  const claimed = c.district_claimed;
  const district = select('district', optionsOf(tax, 'districts'), claimed
    ? { placeholder: '请确定所属区县', value: '' }
    : { value: c.district });
  const publish = h('input', { type: 'checkbox', id: uid('pub'), checked: Boolean(c.public), disabled: !c.public });
  const version = c.public ? publicVersionFields(c) : null;
  if (version) {
    const toggle = () => { version.element.hidden = !publish.checked; };
    publish.addEventListener('change', toggle);
  }
  return actionForm({
    children: [
      urgency,
      field({ label: '问题分类', control: category, path: 'category', hint: '留言人选择的分类不准确时可以更正' }),
      field({
        label: '所属区县', control: district, path: 'district',
        hint: claimed
          ? `留言人选择「${claimed.label}」，所填地点位于「${c.district_label}」，请确定。`
          : '区县不准确时可以更正',
      }),
      h('div', { class: 'field', dataset: { field: 'public' } },
        h('div', { class: 'choice' }, publish, h('label', { for: publish.id }, '同意在公开留言板展示')),
        h('p', { class: 'hint' }, c.public ? '留言人已同意公开。留言板展示下面的公开版本，不展示姓名和联系方式；请核对后再受理。' : '留言人未同意公开，不能公开展示。'),
        h('p', { class: 'field-error', hidden: true })),
      version ? version.element : null,
    ],
    collect() {
      const body = { urgency: checkedValue(urgency), public: publish.checked };
      if (category.value && category.value !== c.category) body.category = category.value;
      if (district.value && (claimed || district.value !== c.district)) body.district = district.value;
      const errors = body.urgency ? [] : [{ field: 'urgency', message: '请选择紧急程度' }];
      if (claimed && !body.district) errors.push({ field: 'district', message: '请确定所属区县' });
      if (version && body.public && version.changed()) {
        body.public_version = version.value();
        errors.push(...version.errors());
      }
      return { body, errors };
    },
    confirm: (body) => ({
      title: '确认受理',
      details: [
        ['紧急程度', labelOf(tax, 'urgencies', body.urgency)],
        ['问题分类', labelOf(tax, 'categories', body.category || c.category)],
        ['所属区县', labelOf(tax, 'districts', body.district || c.district)],
        ['公开展示', body.public ? (body.public_version ? '是（使用编辑后的公开版本）' : '是') : '否'],
      ],
      confirmLabel: '确认受理',
    }),
    submit: send,
    done: (v) => done(v, '已受理，请继续交办。'),
    failed,
    submitLabel: '受理',
  });
}

function rejectForm(c, { tax, send, done, failed }) {
  const code = select('reason_code', optionsOf(tax, 'reject_reasons'), { placeholder: '请选择' });
  const reason = h('textarea', { name: 'reason', rows: '3' });
  const dup = h('input', { type: 'text', name: 'duplicate_of', autocomplete: 'off' });
  const dupField = field({ label: '重复的原留言编号', control: dup, path: 'duplicate_of' });
  dupField.hidden = true;
  code.addEventListener('change', () => { dupField.hidden = code.value !== 'duplicate'; });
  return actionForm({
    intro: '不予受理的理由将告知留言人。',
    children: [
      field({ label: '不予受理原因', control: code, path: 'reason_code' }),
      dupField,
      field({ label: '说明', control: reason, path: 'reason', extra: counter(reason, 1000) }),
    ],
    collect() {
      const body = { reason_code: code.value, reason: reason.value.trim() };
      const errors = [];
      if (!body.reason_code) errors.push({ field: 'reason_code', message: '请选择不予受理原因' });
      if (!body.reason) errors.push({ field: 'reason', message: '请填写说明' });
      if (body.reason_code === 'duplicate') {
        body.duplicate_of = dup.value.trim();
        if (!body.duplicate_of) errors.push({ field: 'duplicate_of', message: '请填写原留言编号' });
      }
      return { body, errors };
    },
    confirm: (body) => ({
      title: '确认不予受理',
      message: '不予受理后本件结束，不能恢复。',
      details: [['原因', labelOf(tax, 'reject_reasons', body.reason_code)], ['原留言', body.duplicate_of || null], ['说明', truncate(body.reason, 120)]],
      confirmLabel: '确认不予受理',
      danger: true,
    }),
    submit: send,
    done: (v) => done(v, '已不予受理，并已告知留言人。'),
    failed,
    submitLabel: '不予受理',
    cls: 'danger',
  });
}

/**
 * Lead select and co-handler checklist, each with a text filter. Departments whose
 * categories and district fit the case are listed first as suggestions.
 */
function departmentPicker(c, depts, exclude = []) {
  const excluded = new Set(exclude);
  const fits = (d) => Array.isArray(d.categories) && d.categories.includes(c.category)
    && (d.district === c.district || d.district === 'city');
  const all = depts.filter((d) => !excluded.has(d.id) && !d.county);
  const counties = exclude.length ? [] : depts.filter((d) => d.county);  // 市级交办: at 交办 only
  const suggested = new Set(all.filter(fits).map((d) => d.id));
  const choices = [...all.filter((d) => suggested.has(d.id)), ...all.filter((d) => !suggested.has(d.id))];
  const matches = (d, q) => !q || d.name.includes(q) || (d.district_label || '').includes(q);
  const leadFilter = h('input', { type: 'search', placeholder: '输入单位名称或区域筛选', autocomplete: 'off' });
  const lead = h('select', { name: 'lead', size: '6', class: 'listbox' });
  const coFilter = h('input', { type: 'search', placeholder: '输入单位名称或区域筛选', autocomplete: 'off' });
  const chosen = h('p', { class: 'hint', 'aria-live': 'polite' });
  const leadChoices = [...choices, ...counties];
  const rows = choices.map((d) => {
    const id = uid('co');
    const box = h('input', { type: 'checkbox', id, value: d.id });
    const rowEl = h('div', { class: 'choice' }, box, h('label', { for: id }, d.name, d.district_label ? h('span', { class: 'muted' }, ` ${d.district_label}`) : null));
    return { d, box, rowEl };
  });
  const checklist = h('div', { class: 'checklist', role: 'group' }, rows.map((r) => r.rowEl));

  const renderLead = () => {
    const current = lead.value;
    const q = leadFilter.value.trim();
    const option = (d) => h('option', { value: d.id, selected: d.id === current }, d.district_label ? `${d.name}（${d.district_label}）` : d.name);
    const shown = leadChoices.filter((d) => matches(d, q) || d.id === current);
    const top = shown.filter((d) => suggested.has(d.id));
    const rest = shown.filter((d) => !suggested.has(d.id) && !d.county);
    const down = shown.filter((d) => d.county);
    replace(lead,
      top.length ? h('optgroup', { label: '建议单位（分类、区域相符）' }, top.map(option)) : null,
      rest.length ? h('optgroup', { label: top.length ? '其他单位' : '全部单位' }, rest.map(option)) : null,
      down.length ? h('optgroup', { label: '县级平台（市级交办，由县级平台再交办）' }, down.map(option)) : null);
  };
  const renderCo = () => {
    const q = coFilter.value.trim();
    for (const r of rows) {
      r.rowEl.hidden = !(matches(r.d, q) || r.box.checked);
      r.box.disabled = r.d.id === lead.value;
      if (r.box.disabled) r.box.checked = false;
    }
    const toCounty = counties.some((d) => d.id === lead.value);  // no co-handlers for a county
    for (const r of rows) {
      r.box.disabled = r.box.disabled || toCounty;
      if (toCounty) r.box.checked = false;
    }
    const names = rows.filter((r) => r.box.checked).map((r) => r.d.name);
    chosen.textContent = names.length ? `已选协办单位：${names.join('、')}` : '未选协办单位（可不选）';
  };
  leadFilter.addEventListener('input', renderLead);
  lead.addEventListener('change', renderCo);
  coFilter.addEventListener('input', renderCo);
  checklist.addEventListener('change', renderCo);
  renderLead();
  renderCo();

  const leadGroup = uid('lead');
  const coGroup = uid('cog');
  return {
    children: [
      h('div', { class: 'field picker', dataset: { field: 'lead' }, role: 'group', 'aria-labelledby': leadGroup },
        h('p', { class: 'label', id: leadGroup }, '牵头单位'),
        h('label', { class: 'visually-hidden', for: (leadFilter.id = uid('lf')) }, '筛选牵头单位'), leadFilter,
        h('label', { class: 'visually-hidden', for: (lead.id = uid('ls')) }, '选择牵头单位'), lead,
        h('p', { class: 'field-error', hidden: true })),
      h('div', { class: 'field picker', dataset: { field: 'co_handlers' }, role: 'group', 'aria-labelledby': coGroup },
        h('p', { class: 'label', id: coGroup }, '协办单位（可多选）'),
        h('label', { class: 'visually-hidden', for: (coFilter.id = uid('cf')) }, '筛选协办单位'), coFilter,
        checklist, chosen,
        h('p', { class: 'field-error', hidden: true })),
    ],
    value() {
      return { lead: lead.value, co_handlers: rows.filter((r) => r.box.checked && r.d.id !== lead.value).map((r) => r.d.id) };
    },
    names(ids) {
      return ids.map((id) => (leadChoices.find((d) => d.id === id) || { name: id }).name).join('、');
    },
  };
}

function assignForm(c, { depts, send, done, failed }) {
  const picker = departmentPicker(c, depts);
  return actionForm({
    intro: '牵头单位负责签收和答复；协办单位提供协办意见，由牵头单位统一答复。交办后办理链接将通过邮件发送给各单位。',
    children: picker.children,
    collect() {
      const body = picker.value();
      return { body, errors: body.lead ? [] : [{ field: 'lead', message: '请选择牵头单位' }] };
    },
    confirm: (body) => ({
      title: '确认交办',
      details: [['牵头单位', picker.names([body.lead])], ['协办单位', body.co_handlers.length ? picker.names(body.co_handlers) : '无']],
      confirmLabel: '确认交办',
    }),
    submit: send,
    done: (v) => done(v, v.handoff ? `已转交${picker.names([v.handoff.to])}，由县级平台再交办承办单位。` : '已交办，办理链接已发送给承办单位。'),
    failed,
    submitLabel: '交办',
  });
}

function returnDecisionForm(c, { depts, send, done, failed }) {
  const returning = c.pending && c.pending.department ? [c.pending.department.id] : [];
  const decision = fieldset({
    legend: '审核决定', path: 'decision', cls: 'choices',
    children: radios('decision', [
      { code: 'reassign', label: '同意退回，改派其他单位' },
      { code: 'insist', label: '维持交办', hint: '仍由原单位办理' },
    ], ''),
  });
  const picker = departmentPicker(c, depts, returning);
  const pickerBox = h('div', { class: 'subfields', hidden: true }, picker.children);
  decision.addEventListener('change', () => { pickerBox.hidden = checkedValue(decision) !== 'reassign'; });
  const note = h('textarea', { name: 'note', rows: '3' });
  return actionForm({
    children: [decision, pickerBox, field({ label: '审核意见', control: note, path: 'note', extra: counter(note, 1000) })],
    collect() {
      const body = { decision: checkedValue(decision), note: note.value.trim() };
      const errors = [];
      if (!body.decision) errors.push({ field: 'decision', message: '请选择审核决定' });
      if (body.decision === 'reassign') {
        Object.assign(body, picker.value());
        if (!body.lead) errors.push({ field: 'lead', message: '请选择新的牵头单位' });
      }
      if (!body.note) errors.push({ field: 'note', message: '请填写审核意见' });
      return { body, errors };
    },
    confirm: (body) => ({
      title: '确认审核决定',
      details: [
        ['决定', body.decision === 'reassign' ? '改派' : '维持交办'],
        ['新牵头单位', body.lead ? picker.names([body.lead]) : null],
        ['协办单位', body.co_handlers && body.co_handlers.length ? picker.names(body.co_handlers) : null],
        ['审核意见', truncate(body.note, 120)],
      ],
    }),
    submit: send,
    done: (v) => done(v, '已处理退回申请。'),
    failed,
    submitLabel: '提交审核决定',
  });
}

function extensionDecisionForm(c, { send, done, failed }) {
  const requested = c.pending && c.pending.working_days ? String(c.pending.working_days) : '';
  const decision = fieldset({
    legend: '审核决定', path: 'decision', cls: 'choices',
    children: radios('decision', [{ code: 'approve', label: '同意延期' }, { code: 'refuse', label: '不同意延期' }], ''),
  });
  const days = select('working_days', Array.from({ length: 10 }, (_, i) => ({ code: String(i + 1), label: `${i + 1} 个工作日` })), { value: requested });
  const daysField = field({ label: '批准延期天数', control: days, path: 'working_days', hint: requested ? `申请 ${requested} 个工作日` : null });
  daysField.hidden = true;
  decision.addEventListener('change', () => { daysField.hidden = checkedValue(decision) !== 'approve'; });
  const note = h('textarea', { name: 'note', rows: '3' });
  return actionForm({
    children: [decision, daysField, field({ label: '审核意见', control: note, path: 'note', extra: counter(note, 1000) })],
    collect() {
      const body = { decision: checkedValue(decision), note: note.value.trim() };
      const errors = [];
      if (!body.decision) errors.push({ field: 'decision', message: '请选择审核决定' });
      if (body.decision === 'approve') body.working_days = Number(days.value);
      if (!body.note) errors.push({ field: 'note', message: '请填写审核意见' });
      return { body, errors };
    },
    confirm: (body) => ({
      title: '确认审核决定',
      details: [['决定', body.decision === 'approve' ? `同意延期 ${body.working_days} 个工作日` : '不同意延期'], ['审核意见', truncate(body.note, 120)]],
    }),
    submit: send,
    done: (v) => done(v, '已处理延期申请。'),
    failed,
    submitLabel: '提交审核决定',
  });
}

/** 答复审核: approve the lead's reply (the citizen is told) or return it with a note. */
function replyReviewForm(c, { send, done, failed }) {
  const decision = fieldset({
    legend: '审核决定', path: 'decision', cls: 'choices',
    children: radios('decision', [{ code: 'approve', label: '审核通过，告知留言人' }, { code: 'return', label: '退回承办单位修改' }], ''),
  });
  const note = h('textarea', { name: 'note', rows: '3' });
  return actionForm({
    children: [decision, field({ label: '审核意见', control: note, path: 'note', hint: '退回时必填，承办单位将收到此意见。', extra: counter(note, 1000) })],
    collect() {
      const body = { decision: checkedValue(decision), note: note.value.trim() };
      const errors = [];
      if (!body.decision) errors.push({ field: 'decision', message: '请选择审核决定' });
      if (body.decision === 'return' && !body.note) errors.push({ field: 'note', message: '退回答复须填写审核意见' });
      return { body, errors };
    },
    confirm: (body) => ({
      title: '确认审核决定',
      message: body.decision === 'approve' ? '通过后答复将告知留言人，评价期开始。' : '答复将退回承办单位修改，原答复时限不变。',
      details: [['决定', body.decision === 'approve' ? '审核通过' : '退回修改'], ['审核意见', body.note ? truncate(body.note, 120) : '（无）']],
    }),
    submit: send,
    done: (v) => done(v, '已审核答复。'),
    failed,
    submitLabel: '提交审核决定',
  });
}

function closeForm(c, { send, done, failed }) {
  const note = h('textarea', { name: 'note', rows: '3' });
  return actionForm({
    intro: '本件经两次重办后留言人仍不满意，已转总平台。请写明总平台的处理情况后办结。',
    children: [field({ label: '办结说明', control: note, path: 'note', extra: counter(note, 1000) })],
    collect() {
      const body = { note: note.value.trim() };
      return { body, errors: body.note ? [] : [{ field: 'note', message: '请填写办结说明' }] };
    },
    confirm: (body) => ({ title: '确认办结', message: '办结后本件不再办理。', details: [['办结说明', truncate(body.note, 120)]], confirmLabel: '确认办结', danger: true }),
    submit: send,
    done: (v) => done(v, '已办结。'),
    failed,
    submitLabel: '办结',
  });
}

const CASE_ID = /^WZ[0-9]{8}-[A-Z0-9]{6}$/;

/** 并件: this case follows the primary named (the 可能重复 list fills it in). */
function mergeForm(c, { send, done, failed }) {
  const into = h('input', { type: 'text', name: 'into', autocomplete: 'off', spellcheck: 'false', placeholder: 'WZ20261118-ABC123' });
  const note = h('textarea', { name: 'note', rows: '2' });
  return actionForm({
    intro: '把本件并入反映同一问题的主件：本件不再单独计时和考核，主件答复后同时告知本件留言人。5 个工作日内可撤销。',
    children: [
      field({ label: '主件编号', control: into, path: 'into', hint: '可在上方“可能重复的诉求”中点“并入此件”填入' }),
      field({ label: '并件说明', control: note, path: 'note', extra: counter(note, 1000) }),
    ],
    collect() {
      const body = { into: into.value.trim().toUpperCase(), note: note.value.trim() };
      const errors = [];
      if (!CASE_ID.test(body.into)) errors.push({ field: 'into', message: '请填写主件编号（如 WZ20261118-ABC123）' });
      if (body.into === c.case_id) errors.push({ field: 'into', message: '不能并入本件自身' });
      if (!body.note) errors.push({ field: 'note', message: '请填写并件说明' });
      return { body, errors };
    },
    confirm: (body) => ({ title: '确认并件', message: `本件将并入 ${body.into} 合并办理，留言人会收到通知。`, details: [['主件', body.into], ['说明', truncate(body.note, 120)]], confirmLabel: '确认并件' }),
    submit: send,
    done: (v) => done(v, `已并入 ${v.merged ? v.merged.into : ''}，并已告知留言人。`),
    failed,
    submitLabel: '并件',
  });
}

/** 撤销并件: within 5 working days, the case is handled on its own again. */
function unmergeForm(c, { send, done, failed }) {
  const note = h('textarea', { name: 'note', rows: '2' });
  return actionForm({
    intro: `本件已并入 ${c.merged ? c.merged.into : ''}。核实不是同一问题的，可在并件后 5 个工作日内撤销，本件回到并件前的状态单独办理，两件的留言人都会收到通知。`,
    children: [field({ label: '撤销说明', control: note, path: 'note', extra: counter(note, 1000) })],
    collect() {
      const body = { note: note.value.trim() };
      return { body, errors: body.note ? [] : [{ field: 'note', message: '请填写撤销说明' }] };
    },
    submit: send,
    done: (v) => done(v, '已撤销并件，本件单独办理。'),
    failed,
    submitLabel: '撤销并件',
  });
}

/** 退回市级平台 (§15): a county platform gives a case it holds back to the city. */
function returnToCityForm(c, { send, done, failed }) {
  const reason = h('textarea', { name: 'reason', rows: '3' });
  return actionForm({
    intro: '不属于本县（区）办理的诉求，可退回市级平台并说明理由，由市级平台重新交办。退回后本平台不再看到本件。',
    children: [field({ label: '退回理由', control: reason, path: 'reason', extra: counter(reason, 1000) })],
    collect() {
      const body = { reason: reason.value.trim() };
      return { body, errors: body.reason ? [] : [{ field: 'reason', message: '请填写退回理由' }] };
    },
    submit: send,
    done: (v) => done(v, '已退回市级平台。'),
    failed,
    submitLabel: '退回市级平台',
  });
}

/** 直接答复 (§16): a 咨询 answered by the platform itself, from a 知识库 entry (it fills the
 * text, which may then be edited) or in the coordinator's own words. */
function answerForm(c, { send, done, failed }) {
  let kbId = '';
  const q = h('input', { type: 'search', name: 'q', value: c.title || '', autocomplete: 'off' });
  const find = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, '检索');
  const hits = h('ul', { class: 'kb-hits', 'aria-live': 'polite' });
  const chosen = h('p', { class: 'hint kb-chosen', hidden: true });
  const text = h('textarea', { name: 'text', rows: '6' });
  const pick = (e) => {
    kbId = e.id;
    text.value = e.answer;
    text.dispatchEvent(new Event('input'));
    chosen.hidden = false;
    chosen.textContent = `已采用知识库条目：${e.question}（可修改答复内容）`;
    text.focus();
  };
  const search = async () => {
    replace(hits, h('li', null, '正在检索…'));
    try {
      const { items } = await staffGet('/api/staff/kb', { q: q.value.trim(), live: 'true' });
      replace(hits, items.length ? items.slice(0, 5).map((e) => {
        const use = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, '采用此条');
        use.addEventListener('click', () => pick(e));
        return h('li', null, h('strong', null, e.question), e.public ? '' : '（内部口径）', ' ', h('span', { class: 'hint' }, truncate(e.answer, 60)), ' ', use);
      }) : h('li', null, '知识库中没有找到相关条目，可直接填写答复。'));
    } catch {
      replace(hits, h('li', null, '检索失败，请稍后重试或直接填写答复。'));
    }
  };
  find.addEventListener('click', search);
  q.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); search(); } });
  return actionForm({
    intro: '咨询类诉求可由平台直接答复，不再交办：答复后本件为已答复，留言人收到答复并评价。',
    children: [
      h('div', { class: 'kb-search' }, field({ label: '检索知识库', control: q }), find, hits),
      chosen,
      field({ label: '答复内容', control: text, path: 'text', extra: counter(text, 5000) }),
    ],
    collect() {
      const body = { text: text.value.trim() };
      if (kbId) body.kb_id = kbId;
      return { body, errors: body.text.length >= 10 ? [] : [{ field: 'text', message: '答复内容至少 10 字' }] };
    },
    confirm: (body) => ({ title: '确认直接答复', message: '答复将告知留言人，本件不再交办。', details: [['答复内容', truncate(body.text, 120)]], confirmLabel: '确认答复' }),
    submit: send,
    done: (v) => done(v, '已直接答复，并已告知留言人。'),
    failed,
    submitLabel: '直接答复',
  });
}

export const FORMS = {
  answer: answerForm,
  accept: acceptForm,
  return_to_city: returnToCityForm,
  reject: rejectForm,
  merge: mergeForm,
  unmerge: unmergeForm,
  assign: assignForm,
  'return-decision': returnDecisionForm,
  'extension-decision': extensionDecisionForm,
  'reply-review': replyReviewForm,
  close: closeForm,
};
