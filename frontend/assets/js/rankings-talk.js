// 记录约谈 (§16, issue 18): on the rankings page, a signed-in coordinator (or admin) records the
// 约谈 of a unit the frozen ranking flags (POST /api/staff/talks); loaded only for a staff
// session, so the public page carries none of it.
import { h, replace } from './dom.js';
import { post } from './api.js';
import { field, clearFieldErrors, showFieldErrors, errorSummary, setBusy } from './ui.js';
import { todayInShanghai } from './format.js';

/** The form for the month's flagged units that have no record yet; null when there are none.
 * ``done`` reloads the page's ranking (the record then shows under 约谈记录). */
export function talkForm(month, flagged, done) {
  if (!flagged.length) return null;
  const today = todayInShanghai();
  const unit = h('select', { name: 'unit' }, flagged.map((r) => h('option', { value: r.id }, r.name)));
  const held = h('input', { type: 'date', name: 'held_on', value: today, max: today });
  const attendees = h('textarea', { name: 'attendees', rows: '3', placeholder: '每行一人，如：张明（市城市管理局局长）' });
  const reasons = h('textarea', { name: 'reasons', rows: '3' });
  const by = h('input', { type: 'date', name: 'rectify_by' });
  const summary = h('div', { 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit', class: 'btn btn-primary' }, '保存约谈记录');
  const form = h('form', { class: 'form talk-form', novalidate: true },
    summary,
    field({ label: '被约谈单位', control: unit, path: 'unit' }),
    field({ label: '约谈日期', control: held, path: 'held_on' }),
    field({ label: '参加人员', control: attendees, path: 'attendees', hint: '每行一人（1–20 人）' }),
    field({ label: '约谈事由', control: reasons, path: 'reasons' }),
    field({ label: '整改期限', control: by, path: 'rectify_by', hint: '被约谈单位须在此日期前通过单位工作台报送整改情况' }),
    h('div', { class: 'form-actions' }, button));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (button.disabled) return;
    clearFieldErrors(form);
    summary.replaceChildren();
    const body = {
      month,
      unit: unit.value,
      held_on: held.value,
      attendees: attendees.value.split('\n').map((s) => s.trim()).filter(Boolean),
      reasons: reasons.value.trim(),
      rectify_by: by.value,
    };
    const errors = [];
    if (!body.held_on) errors.push({ field: 'held_on', message: '请填写约谈日期' });
    if (!body.attendees.length) errors.push({ field: 'attendees', message: '请填写参加人员（每行一人）' });
    if (body.reasons.length < 5) errors.push({ field: 'reasons', message: '请填写约谈事由（至少 5 个字）' });
    if (!body.rectify_by) errors.push({ field: 'rectify_by', message: '请填写整改期限' });
    if (errors.length) {
      showFieldErrors(form, errors);
      replace(summary, errorSummary({ message: '请检查填写的内容' }, errors.map((x) => x.message)));
      return;
    }
    setBusy(button, true);
    try {
      await post('/api/staff/talks', body, { staff: true });
      setBusy(button, false);
      done();
    } catch (err) {
      setBusy(button, false);
      showFieldErrors(form, err.fields);
      replace(summary, errorSummary(err, (err.fields || []).map((f) => f.message)));
    }
  });
  return h('section', { class: 'panel talks', 'aria-labelledby': 'talk-form-title', id: 'talk-form' },
    h('h2', { id: 'talk-form-title' }, '记录约谈'),
    h('p', { class: 'hint' }, '本月排名标注“约谈”、尚无约谈记录的单位。记录后在本页“约谈记录”中公布，并由被约谈单位报送整改情况。'),
    form);
}
