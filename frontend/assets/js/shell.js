// The page shell's names. infra/site_shell.py writes the header, navigation and footer of
// every page with neutral names; this puts in the deployment's own from /api/taxonomy: the
// platform's name in the header, the footer and the title, the city's government office as
// the footer's host. Until it answers (or if it fails) the neutral names stay: never a wrong one.
import { $$ } from './dom.js';
import { taxonomy } from './ui.js';

const SEPARATOR = ' - ';
const at = document.title.lastIndexOf(SEPARATOR);
let heading = at < 0 ? document.title : document.title.slice(0, at);
let platform = at < 0 ? '' : document.title.slice(at + SEPARATOR.length);

function showTitle() {
  document.title = platform ? `${heading}${SEPARATOR}${platform}` : heading;
}

/** Title the page `text`, followed by the platform's name (the deployment's once known). */
export function setPageTitle(text) {
  heading = text;
  showTitle();
}

/** The platform's name: the deployment's once /api/taxonomy answered, else the neutral one. */
export function platformName() {
  return platform;
}

function fill(key, text) {
  for (const el of $$(`[data-shell="${key}"]`)) el.textContent = text;
}

taxonomy().then((tax) => {
  if (tax.platform_name) {
    platform = tax.platform_name;
    fill('platform', platform);
    showTitle();
  }
  if (tax.city_name) fill('host', `${tax.city_name}人民政府办公室（总平台）`);
}, () => {
  // The page's own code reports a failing API; the shell keeps its neutral names.
});
