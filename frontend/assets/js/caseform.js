// The case-submission form (schemas/case-submission.json), used by 我要留言 and by staff
// entering a hotline/mailbox case for a caller.
import { h, uid } from './dom.js';
import { get } from './api.js';
import { field, fieldset, select, counter, optionsOf } from './ui.js';

const DEFAULT_LIMITS = { title: 60, content: 5000, name: 40, phone: 20, email: 254, address: 100 };

/** Limits from GET /api/schemas/case-submission, falling back to the documented ones. */
export async function submissionLimits() {
  try {
    const schema = await get('/api/schemas/case-submission');
    const props = (schema && schema.properties) || {};
    const contact = (props.contact && props.contact.properties) || {};
    const place = (props.location && props.location.properties) || {};
    return {
      titleMin: (props.title && props.title.minLength) || 0,
      contentMin: (props.content && props.content.minLength) || 0,
      title: (props.title && props.title.maxLength) || DEFAULT_LIMITS.title,
      content: (props.content && props.content.maxLength) || DEFAULT_LIMITS.content,
      name: (contact.name && contact.name.maxLength) || DEFAULT_LIMITS.name,
      phone: (contact.phone && contact.phone.maxLength) || DEFAULT_LIMITS.phone,
      email: (contact.email && contact.email.maxLength) || DEFAULT_LIMITS.email,
      address: (place.address && place.address.maxLength) || DEFAULT_LIMITS.address,
    };
  } catch {
    return { ...DEFAULT_LIMITS };
  }
}

/**
 * Builds the fields; returns {element, collect(), validate(body)}.
 * options.staff adds the channel select and words the consent for a caller.
 * options.pointPicker({district}) → {element, value()} adds a map to the place (place.js);
 * without it the place is the address alone. options.afterTitle({read, watch}) → a node
 * placed under the title (the submit page's similar cases): ``read()`` collects the form,
 * ``watch`` are the controls whose edits change what it shows.
 */
export function caseFields(tax, limits, { staff = false, pointPicker = null, afterTitle = null } = {}) {
  const kinds = optionsOf(tax, 'kinds');
  const kindName = uid('kind');
  // Each kind's hint comes with it from GET /api/taxonomy (kinds[].hint).
  const kindRadios = kinds.map((k) => {
    const id = uid('kind');
    const hintId = `${id}-hint`;
    return h('div', { class: 'choice' },
      h('input', { type: 'radio', name: kindName, id, value: k.code, 'aria-describedby': hintId }),
      h('label', { for: id }, h('strong', null, k.label), h('span', { class: 'choice-hint', id: hintId }, k.hint || '')));
  });

  const category = select('category', optionsOf(tax, 'categories'), { placeholder: '请选择分类' });
  const district = select('district', optionsOf(tax, 'districts'), { placeholder: '请选择所在区域' });
  // Where the problem is, not where the citizen lives: never autofilled with a home address.
  const address = h('input', { type: 'text', name: 'address', autocomplete: 'off' });
  const picker = pointPicker ? pointPicker({ district }) : null;
  const title = h('input', { type: 'text', name: 'title', autocomplete: 'off' });
  const content = h('textarea', { name: 'content', rows: '8' });
  const name = h('input', { type: 'text', name: 'name', autocomplete: staff ? 'off' : 'name', maxlength: String(limits.name) });
  const phone = h('input', { type: 'tel', name: 'phone', autocomplete: staff ? 'off' : 'tel', inputmode: 'tel', maxlength: String(limits.phone) });
  const email = h('input', { type: 'email', name: 'email', autocomplete: staff ? 'off' : 'email', maxlength: String(limits.email) });
  const consent = h('input', { type: 'checkbox', name: 'public', id: uid('public') });
  const channel = staff ? select('channel', [{ code: 'hotline', label: '热线电话' }, { code: 'mailbox', label: '信箱来信' }], { value: 'hotline' }) : null;

  const element = h('div', { class: 'case-fields' },
    channel ? field({ label: '来源渠道', control: channel, path: 'channel' }) : null,
    fieldset({ legend: '留言类型', path: 'kind', cls: 'choices', children: kindRadios, hint: staff ? null : '请选择最符合您情况的一项。' }),
    h('div', { class: 'grid-2' },
      field({ label: '问题分类', control: category, path: 'category', hint: '选择最接近的一项' }),
      field({ label: '所在区域', control: district, path: 'district', hint: '问题发生地所在的区县' })),
    fieldset({
      legend: '问题发生位置', path: 'location', cls: 'place',
      children: [
        field({
          label: '地址', control: address, path: 'location.address',
          hint: '街道、小区或附近的标志性地点，如“翠湖街与滨河路交叉口”。公开时只显示到楼栋，门牌号以下不公开。',
          extra: counter(address, limits.address),
        }),
        picker ? picker.element : null,
      ],
    }),
    field({ label: '标题', control: title, path: 'title', hint: `用一句话概括您的问题${limits.titleMin ? `（${limits.titleMin}～${limits.title} 个字）` : ''}`, extra: counter(title, limits.title) }),
    afterTitle ? afterTitle({ read: () => collect(), watch: [title, content, district, ...(picker ? [picker.element] : [])] }) : null,
    field({
      label: '留言内容', control: content, path: 'content',
      hint: '请写明时间、地点、事情经过和您的具体诉求。请不要在内容中填写身份证号等个人信息。',
      extra: counter(content, limits.content),
    }),
    fieldset({
      legend: staff ? '来电人联系方式' : '联系方式', path: 'contact', cls: 'contact-fields',
      hint: staff ? '手机和邮箱至少填写一项。' : '手机和邮箱至少填写一项（必填其一），用于接收受理、答复等通知。联系方式只有办理单位能看到，不会公开。',
      children: h('div', { class: 'grid-3' },
        field({ label: '姓名（选填）', control: name, path: 'contact.name' }),
        field({ label: '手机号码', control: phone, path: 'contact.phone' }),
        field({ label: '电子邮箱', control: email, path: 'contact.email' })),
    }),
    h('div', { class: 'field consent', dataset: { field: 'public' } },
      h('div', { class: 'choice' },
        consent,
        h('label', { for: consent.id }, staff ? '来电人同意在公开留言板上展示这条留言' : '我同意在公开留言板上展示这条留言')),
      h('div', { class: 'consent-explain' },
        h('p', null, h('strong', null, '公开展示：'), '标题、留言内容（其中的手机号、身份证号、邮箱等个人信息会被自动遮盖）、隐去名字的姓名（如“张**”）、办理过程和答复。'),
        h('p', null, h('strong', null, '不会展示：'), '手机号码、电子邮箱和完整姓名。'),
        h('p', { class: 'muted' }, '是否公开还需总平台审核。不同意公开，留言同样会受理和办理。')),
      h('p', { class: 'field-error', hidden: true })));

  function collect() {
    const checked = kindRadios.map((c) => c.querySelector('input')).find((r) => r.checked);
    const contact = {};
    if (name.value.trim()) contact.name = name.value.trim();
    if (phone.value.trim()) contact.phone = phone.value.trim();
    if (email.value.trim()) contact.email = email.value.trim();
    const body = {
      kind: checked ? checked.value : '',
      category: category.value,
      district: district.value,
      title: title.value.trim(),
      content: content.value.trim(),
      contact,
      public: consent.checked,
    };
    if (channel) body.channel = channel.value;
    if (!body.district) delete body.district;
    const location = {};
    if (address.value.trim()) location.address = address.value.trim();
    const point = picker && picker.value();
    if (point) Object.assign(location, point);
    if (Object.keys(location).length) body.location = location;
    return body;
  }

  /** Checks the server would make anyway, so the citizen hears about them at once. */
  function validate(body) {
    const errors = [];
    if (!body.kind) errors.push({ field: 'kind', message: '请选择留言类型' });
    if (!body.category) errors.push({ field: 'category', message: '请选择问题分类' });
    // With a place the server works the district out (from the point, else the address).
    if (!body.district && !body.location) errors.push({ field: 'district', message: '请选择所在区域' });
    if (!body.title) errors.push({ field: 'title', message: '请填写标题' });
    else if (limits.titleMin && [...body.title].length < limits.titleMin) errors.push({ field: 'title', message: `标题至少 ${limits.titleMin} 个字` });
    if (!body.content) errors.push({ field: 'content', message: '请填写留言内容' });
    else if (limits.contentMin && [...body.content].length < limits.contentMin) errors.push({ field: 'content', message: `留言内容至少 ${limits.contentMin} 个字` });
    if (!body.contact.phone && !body.contact.email) errors.push({ field: 'contact', message: '手机号码和电子邮箱至少填写一项' });
    return errors;
  }

  return { element, collect, validate };
}
