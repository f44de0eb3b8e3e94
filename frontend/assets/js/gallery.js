// Photos (§13): the thumbnails a case or a reply shows, each opening its full-size version
// (the picker that uploads them is photos.js).
import { h } from './dom.js';

let viewer = null;

function open(photo) {
  if (!viewer) {
    const image = h('img', { class: 'photo-full', alt: '' });
    const close = h('button', { type: 'button', class: 'btn btn-secondary photo-close' }, '关闭');
    viewer = h('dialog', { class: 'photo-viewer', 'aria-label': '查看大图' }, image, close);
    close.addEventListener('click', () => viewer.close());
    viewer.addEventListener('click', (e) => { if (e.target === viewer) viewer.close(); });
    document.body.append(viewer);
  }
  const image = viewer.querySelector('img');
  image.src = photo.url;
  image.alt = photo.alt || '';
  viewer.showModal();
}

/** Thumbnails, each a link to its full-size version that opens in place. Staff lists carry
 * the photo's state and, for a coordinator, ``actions(photo)`` (隐藏). */
export function photoGallery(photos, { title = null, actions = null } = {}) {
  const list = photos || [];
  if (!list.length) return null;
  return h('div', { class: 'photos' },
    title ? h('h3', null, title) : null,
    h('ul', { class: 'photo-gallery' }, list.map((p) => h('li', null,
      p.thumb_url
        ? h('a', { href: p.url, class: 'photo-link', onclick: (e) => { e.preventDefault(); open(p); } },
          h('img', { src: p.thumb_url, alt: p.alt || '', loading: 'lazy', width: '160', height: '120' }))
        : h('span', { class: 'photo-pending' }, p.state_label || '处理中'),
      p.state && p.state !== 'processed' ? h('span', { class: 'muted' }, p.state_label) : null,
      p.hidden ? h('span', { class: 'badge' }, `已对公众隐藏${p.hidden_note ? `：${p.hidden_note}` : ''}`) : null,
      actions ? actions(p) : null))));
}
