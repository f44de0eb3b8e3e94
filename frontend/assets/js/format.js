// Dates in Asia/Shanghai and deadline countdowns.

const TZ = 'Asia/Shanghai';
const DAY = 86400000;
const HOUR = 3600000;
const MINUTE = 60000;

const dateTimeFormat = new Intl.DateTimeFormat('zh-CN', {
  timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

function parts(date) {
  const out = {};
  for (const p of dateTimeFormat.formatToParts(date)) out[p.type] = p.value;
  return out;
}

/** "2026-09-30 10:00" in Beijing time. */
export function formatDateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = parts(d);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** A calendar date "YYYY-MM-DD" (or an instant) as "2026年10月15日". */
export function formatDate(value) {
  if (!value) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (m) return `${m[1]}年${Number(m[2])}月${Number(m[3])}日`;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  const p = parts(d);
  return `${p.year}年${Number(p.month)}月${Number(p.day)}日`;
}

/** Today's date in Beijing as "YYYY-MM-DD" (for <input type=date min>). */
export function todayInShanghai(now = new Date()) {
  const p = parts(now);
  return `${p.year}-${p.month}-${p.day}`;
}

export function durationText(ms) {
  const days = Math.floor(ms / DAY);
  const hours = Math.floor((ms % DAY) / HOUR);
  const minutes = Math.floor((ms % HOUR) / MINUTE);
  if (days > 0) return hours > 0 ? `${days} 天 ${hours} 小时` : `${days} 天`;
  if (hours > 0) return minutes > 0 ? `${hours} 小时 ${minutes} 分钟` : `${hours} 小时`;
  if (minutes > 0) return `${minutes} 分钟`;
  return '不到 1 分钟';
}

/** {overdue, soon, text}: "剩余 2 天 3 小时" or "已超期 1 天". */
export function countdown(iso, now = Date.now()) {
  const due = new Date(iso).getTime();
  if (Number.isNaN(due)) return null;
  const left = due - now;
  if (left < 0) return { overdue: true, soon: false, text: `已超期 ${durationText(-left)}` };
  return { overdue: false, soon: left < DAY, text: `剩余 ${durationText(left)}` };
}
