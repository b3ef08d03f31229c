// Run pieces shared by the views: status badges, progress bars, counts, and a poller for active runs.

import {envPath, request} from './api.js';
import {h} from './dom.js';
import {ACTIVE_STATUSES, formatNumber, statusLabel} from './words.js';

export function statusBadge(status) {
  return h('span', {class: `badge status-${status}`}, statusLabel(status));
}

/** A <progress> with a text equivalent; `progress` 0..1 or null (unknown: an indeterminate bar). */
export function progressBar(run, {label = 'Run progress'} = {}) {
  const known = typeof run.progress === 'number';
  const bar = h('progress', {max: 1, 'aria-label': label});
  if (known) bar.value = run.progress;
  const text = known ? `${Math.round(run.progress * 100)}%` : 'working…';
  return h('span', {class: 'progress'}, bar, h('span', {class: 'progress-text'},
    run.progress_text ? `${text} · ${run.progress_text}` : text));
}

const IMPORT_COUNTS = ['read', 'created', 'updated', 'unchanged', 'rejected'];
const EXPORT_COUNTS = ['selected', 'written', 'skipped'];
// Only a full import, or an export that sends removals (feeds, Art-Connect users), removes: shown when there is one.
const withRemoved = (names, counts) => (counts.removed ? [...names, 'removed'] : names);
const importCounts = (counts) => withRemoved(IMPORT_COUNTS, counts);
const countNames = (counts) => [...importCounts(counts), ...EXPORT_COUNTS];

export function countsText(counts) {
  if (!counts) return '';
  return countNames(counts).filter((name) => counts[name]).map((name) => `${formatNumber(counts[name])} ${name}`)
    .join(', ') || 'nothing read';
}

export function countTiles(counts = {}) {
  // An export's run shows what it selected, wrote and skipped; an import's what it read and did with it.
  const isExport = EXPORT_COUNTS.some((name) => counts[name]);
  return h('dl', {class: 'counts'}, withRemoved(isExport ? EXPORT_COUNTS : IMPORT_COUNTS, counts).map((name) => h('div', {class: `count count-${name}`},
    h('dt', {}, name.charAt(0).toUpperCase() + name.slice(1)), h('dd', {}, formatNumber(counts[name] || 0)))));
}

export function isActive(run) {
  return Boolean(run) && ACTIVE_STATUSES.has(run.status);
}

/**
 * Poll GET /runs/{id} every `interval` ms while the run is active; `onUpdate(run)` each time, `onEnd(run)` once.
 * Returns a stop function (views call it when they are left).
 */
export function followRun(runId, {onUpdate, onEnd, interval = 1000}) {
  let stopped = false;
  let timer = null;
  const tick = async () => {
    if (stopped) return;
    try {
      const run = await request('GET', envPath(`/runs/${runId}`));
      if (stopped) return;
      onUpdate?.(run);
      if (!isActive(run)) {
        stopped = true;
        onEnd?.(run);
        return;
      }
    } catch (error) {
      if (error.status === 401 || error.status === 404) return;
    }
    timer = setTimeout(tick, interval);
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
