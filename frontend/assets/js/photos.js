// Photos (§13): the picker that sends each chosen photo straight to storage (a slot from
// POST /api/uploads, then the browser's own POST of the file, shrunk if it can). The
// thumbnails a case shows are gallery.js's, so that pages which only show photos load no picker.
import { h, replace } from './dom.js';
import { post } from './api.js';

export const MAX_PHOTOS = 6;
const MAX_BYTES = 10 * 1024 * 1024;
const TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif'];
const HEIF = /\.(heic|heif)$/i;
/** The type to claim: the browser's, or HEIC by the file's name when the browser knows none
 * (most do not know HEIC, which iPhones write). */
const typeOf = (file) => file.type || (HEIF.test(file.name) ? 'image/heic' : '');
const isHeif = (type) => type === 'image/heic' || type === 'image/heif';
const PREVIEW_PX = 240;
// What the platform keeps (functions/domain/photos.py): a larger or heavy photo goes up as a
// JPEG of that size, a tenth of the camera's bytes; the server still strips and resizes it.
const DISPLAY_PX = 1600;
const SHRINK_BYTES = 1.5 * 1024 * 1024;
const QUALITY = 0.85;

const megabytes = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** The picture, its longer side at most ``longest``, over white as the server flattens it. */
function draw(bitmap, longest) {
  const scale = Math.min(1, longest / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  const context = canvas.getContext('2d');
  context.fillStyle = '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return canvas;
}

/** A JPEG of the display size, or ``file`` when that fails or is not smaller. */
async function shrink(bitmap, file) {
  try {
    const canvas = draw(bitmap, DISPLAY_PX);
    const blob = await new Promise((resolve) => { canvas.toBlob(resolve, 'image/jpeg', QUALITY); });
    return blob && blob.size > 0 && blob.size < file.size ? blob : file;
  } catch {
    return file;
  }
}

/** A preview as a data: URL (the CSP allows no blob: images), null when the browser cannot
 * decode the file; and what to upload: the photo upright, shrunk when large, else the file. */
async function prepare(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    return { src: null, upload: file };
  }
  try {
    const src = draw(bitmap, PREVIEW_PX).toDataURL('image/jpeg', 0.8);
    const large = Math.max(bitmap.width, bitmap.height) > DISPLAY_PX || file.size > SHRINK_BYTES;
    return { src, upload: large ? await shrink(bitmap, file) : file };
  } catch {
    return { src: null, upload: file };
  } finally {
    bitmap.close();
  }
}

/** The browser's POST of one file to its slot, reporting progress (0..1). ``slot.url`` is the
 * uploads bucket's own endpoint outside China (cross-origin: no credentials are sent, and the
 * bucket's CORS rule answers the preflight the progress listener brings), a path on the site's
 * origin in China and locally. */
function send(slot, file, name, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [field, value] of Object.entries(slot.fields)) form.append(field, value);
    form.append('file', file, name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', slot.url);
    xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
    xhr.addEventListener('load', () => (xhr.status >= 200 && xhr.status < 300
      ? resolve() : reject(new Error(`上传被拒绝（${xhr.status}），请重新选择这张照片`))));
    xhr.addEventListener('error', () => reject(new Error('网络异常，照片未能上传，请重试')));
    xhr.addEventListener('timeout', () => reject(new Error('上传超时，请重试')));
    xhr.timeout = 5 * 60 * 1000;
    xhr.send(form);
  });
}

/**
 * The photo field: choose up to MAX_PHOTOS photos; each shows its thumbnail, progress and
 * any error in place, and can be removed. ``ids()`` are the uploaded ones, ``busy()`` says
 * whether any is still on its way.
 */
export function photoPicker({ label = '照片（选填）', hint = '' } = {}) {
  const items = [];
  const input = h('input', {
    type: 'file', id: 'photo-input', class: 'visually-hidden', multiple: true,
    accept: [...TYPES, '.heic', '.heif'].join(','), 'aria-describedby': 'photo-hint photo-error',
  });
  const list = h('ul', { class: 'photo-list', 'aria-live': 'polite' });
  const message = h('p', { class: 'field-error', id: 'photo-error', role: 'alert', hidden: true });
  const chooser = h('label', { for: 'photo-input', class: 'btn btn-secondary photo-add' }, '添加照片');
  const status = h('span', { class: 'muted' });

  const refresh = () => {
    const left = MAX_PHOTOS - items.length;
    chooser.hidden = left <= 0;
    input.disabled = left <= 0;
    status.textContent = `已选 ${items.length} / ${MAX_PHOTOS} 张`;
  };
  const say = (text) => { message.textContent = text; message.hidden = !text; };

  function remove(item) {
    items.splice(items.indexOf(item), 1);
    item.element.remove();
    item.cancelled = true;
    refresh();
    chooser.focus();
  }

  async function add(file) {
    const item = { file, id: null, state: 'checking', cancelled: false };
    const progress = h('progress', { max: '1', value: '0', 'aria-label': `${file.name} 上传进度` });
    const note = h('span', { class: 'photo-note' }, '检查中…');
    const thumb = h('span', { class: 'photo-thumb', 'aria-hidden': 'true' });
    const removeButton = h('button', { type: 'button', class: 'btn btn-link photo-remove', onclick: () => remove(item) }, `删除`);
    removeButton.setAttribute('aria-label', `删除照片 ${file.name}`);
    item.element = h('li', { class: 'photo-item', dataset: { state: 'checking' } }, thumb,
      h('span', { class: 'photo-meta' }, h('span', { class: 'photo-name' }, file.name), progress, note), removeButton);
    items.push(item);
    list.append(item.element);
    refresh();
    const fail = (text) => {
      item.state = 'error';
      item.element.dataset.state = 'error';
      progress.hidden = true;
      note.textContent = text;
      note.className = 'photo-note field-error';
    };
    const type = typeOf(file);
    if (!TYPES.includes(type)) return fail('只能上传 JPEG、PNG、WebP 或 HEIC 格式的照片');
    if (file.size < 1 || file.size > MAX_BYTES) return fail(`每张照片不能超过 10 MB（这张 ${megabytes(file.size)}）`);
    const { src, upload } = await prepare(file);
    // A browser that cannot show HEIC still sends it: the server decodes it (or refuses it).
    if (!src && !isHeif(type)) return fail('这不是可识别的图片，请换一张照片');
    const shrunk = upload !== file;
    replace(thumb, src ? h('img', { src, alt: '' }) : h('span', { class: 'photo-format' }, 'HEIC'));
    item.state = 'uploading';
    item.element.dataset.state = 'uploading';
    note.textContent = '上传中…';
    try {
      const claim = { content_type: shrunk ? 'image/jpeg' : type, size: upload.size };
      const { uploads: [slot] } = await post('/api/uploads', { files: [claim] });
      if (item.cancelled) return undefined;
      const name = shrunk ? `${file.name.replace(/\.[^.]*$/, '')}.jpg` : file.name;
      await send(slot, upload, name, (share) => { progress.value = share; });
      if (item.cancelled) return undefined;
      item.id = slot.upload_id;
      item.state = 'done';
      item.element.dataset.state = 'done';
      progress.value = 1;
      note.textContent = '已上传';
    } catch (err) {
      if (!item.cancelled) fail(err.message || '照片未能上传，请重试');
    }
    return undefined;
  }

  input.addEventListener('change', () => {
    say('');
    const files = Array.from(input.files || []);
    input.value = '';
    const room = MAX_PHOTOS - items.length;
    if (files.length > room) say(`最多 ${MAX_PHOTOS} 张照片，多选的 ${files.length - room} 张未添加`);
    files.slice(0, room).forEach(add);
  });
  refresh();

  const element = h('div', { class: 'field photo-field', dataset: { field: 'photos' } },
    h('p', { class: 'photo-title' }, h('strong', null, label)),
    h('p', { class: 'hint', id: 'photo-hint' },
      hint || `最多 ${MAX_PHOTOS} 张，JPEG、PNG 或 WebP，每张不超过 10 MB。照片公开前会去除拍摄地点等全部附加信息。`),
    input, h('div', { class: 'photo-actions' }, chooser, ' ', status), list, message);
  return {
    element,
    ids: () => items.filter((i) => i.state === 'done').map((i) => i.id),
    busy: () => items.some((i) => i.state === 'checking' || i.state === 'uploading'),
    failed: () => items.some((i) => i.state === 'error'),
  };
}
