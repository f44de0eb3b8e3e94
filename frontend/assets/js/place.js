// 问题发生位置 on 我要留言: the map beside the address field. A tap, a click, Enter or the
// 在地图中心放置标记 button puts the pin; 使用我的位置 asks the browser, only when clicked.
// Without boundaries (404) the map stays hidden and the address field is the whole section.
import { h } from './dom.js';
import { loadDistricts, drawMap, districtAt } from './map.js';

const round6 = (n) => Math.round(n * 1e6) / 1e6;

const GEO_MESSAGES = {
  1: '您没有允许本网站获取位置。可以在地图上点选位置，或直接填写地址。',
  2: '暂时无法获取您的位置（定位信号不可用）。请在地图上点选位置，或直接填写地址。',
  3: '获取位置超时。请稍后再试，或在地图上点选位置、直接填写地址。',
};

/**
 * The map part of the place fieldset: {element, value()} where value() is {lat, lng} (6
 * decimals) or null. `district` is the form's district select, filled from the point.
 */
export function pointPicker({ district }) {
  const status = h('p', { class: 'place-status', role: 'status' });
  const locate = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, '使用我的位置');
  const centre = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, '在地图中心放置标记');
  const clear = h('button', { type: 'button', class: 'btn btn-link btn-small', hidden: true }, '清除标记');
  const canvas = h('div', { class: 'place-map' });
  const element = h('div', { class: 'place-picker', hidden: true },
    h('p', { class: 'hint' }, '也可以在地图上点一下标出位置（选填）：拖动或双指缩放查看，或用方向键移动、加减号缩放后按“在地图中心放置标记”。'),
    h('div', { class: 'place-actions' }, locate, centre, clear),
    canvas, status);
  let point = null;
  let map = null;
  let fc = null;

  function say(text, kind = '') {
    status.textContent = text;
    status.className = `place-status${kind ? ` place-status-${kind}` : ''}`;
  }

  /** Puts the pin at (lat, lng) if the point lies in one of the city's districts. */
  function put(lat, lng, how) {
    const feature = districtAt(fc, lng, lat);
    if (!feature) {
      say(`${how}不在本市各区县范围内，未放置标记。请在地图上的区县内选择，或直接填写地址。`, 'warning');
      return false;
    }
    point = { lat: round6(lat), lng: round6(lng) };
    const name = (feature.properties && feature.properties.name) || '';
    const code = feature.properties && feature.properties.code;
    map.setPin(point.lat, point.lng, `已标记的位置${name ? `（${name}）` : ''}`);
    map.select(code);
    const option = code ? [...district.options].find((o) => o.value === code) : null;
    if (option && district.value !== code) {
      district.value = code;
      district.dispatchEvent(new Event('input', { bubbles: true }));
      district.dispatchEvent(new Event('change', { bubbles: true }));
    }
    say(`已标记位置：北纬 ${point.lat.toFixed(6)}，东经 ${point.lng.toFixed(6)}${name ? `，位于${name}${option ? '（已自动填写所在区域）' : ''}` : ''}。`);
    clear.hidden = false;
    return true;
  }

  locate.addEventListener('click', () => {
    if (!navigator.geolocation) {
      say('您的浏览器不支持定位。请在地图上点选位置，或直接填写地址。', 'warning');
      return;
    }
    locate.disabled = true;
    say('正在获取您的位置…');
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        locate.disabled = false;
        if (put(pos.coords.latitude, pos.coords.longitude, '您当前的位置') && map) map.show(point.lat, point.lng, 4);
      },
      (err) => {
        locate.disabled = false;
        say(GEO_MESSAGES[err.code] || GEO_MESSAGES[2], 'warning');
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });
  centre.addEventListener('click', () => {
    const c = map.centre();
    put(c.lat, c.lng, '地图中心');
  });
  clear.addEventListener('click', () => {
    point = null;
    map.setPin();
    map.select(null);
    clear.hidden = true;
    say('已清除标记。');
    centre.focus();
  });

  loadDistricts().then((collection) => {
    if (!collection) return; // no boundaries: the address field stands alone
    fc = collection;
    element.hidden = false;
    const hint = document.getElementById(`${district.id}-hint`);
    if (hint) hint.textContent = '在地图上标出位置后自动填写，以受理时核定的为准';
    map = drawMap(canvas, fc, {
      title: '选择问题发生位置的地图',
      description: '本市各区县的边界图。点一下地图即可在该处放置标记。',
      onPick: ({ lat, lng }) => put(lat, lng, '所选位置'),
    });
  });

  return { element, value: () => point };
}
