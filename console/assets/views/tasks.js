// The "Periodic tasks" list: every task of the environment, sorted and filtered in the browser, shown a page of rows
// at a time (so 1,000 tasks stay quick), with Start and Stop on each row.

import {ApiError, envPath, request} from '../api.js';
import {announce, append, clear, h, uid} from '../dom.js';
import {followRun, isActive, statusBadge} from '../runs.js';
import {taskStore} from '../task_store.js';
import {formatDateTime, formatNumber, frequencyInWords, relative, statusLabel, typeLabel} from '../words.js';

const COLUMNS = [
  {key: 'active', label: 'Active', value: (t) => (t.active ? 0 : 1)},
  {key: 'type', label: 'Type', value: (t) => typeLabel(t.type)},
  {key: 'description', label: 'Description', value: (t) => t.description.toLowerCase()},
  {key: 'frequency', label: 'Frequency', sortable: false},
  {key: 'sequence_no', label: 'Sequence no', value: (t) => t.sequence_no},
  {key: 'next_run_at', label: 'Next run', value: (t) => (t.next_run_at ? Date.parse(t.next_run_at) : Infinity)},
  {key: 'last_run', label: 'Last run', value: (t) => lastRunTime(t)},
  {key: 'actions', label: 'Actions', sortable: false},
];

const RUN_FILTERS = [['', 'Any last run'], ['never', 'Never run'], ['running', 'Running or queued'],
  ['succeeded', 'Succeeded'], ['partially_succeeded', 'Partially succeeded'], ['failed', 'Failed'],
  ['cancelled', 'Cancelled'], ['skipped', 'Skipped']];

function lastRunTime(task) {
  const run = task.last_run;
  if (!run) return -Infinity;
  return Date.parse(run.ended_at || run.started_at || '') || Number.MAX_SAFE_INTEGER;
}

/** The list's state (filters, sort, page) outlives the view, so going back to the list finds it as it was. */
function listState(app) {
  const cache = app.taskCache();
  if (!cache.listState) {
    cache.listState = {search: '', type: '', active: '', run: '', sort: 'sequence_no', direction: 1, page: 0,
      pageSize: 50};
  }
  return cache.listState;
}

export function matchesFilters(task, state) {
  if (state.type && task.type !== state.type) return false;
  if (state.active === 'yes' && !task.active) return false;
  if (state.active === 'no' && task.active) return false;
  if (state.run === 'never' && task.last_run) return false;
  if (state.run === 'running' && !isActive(task.last_run)) return false;
  if (state.run && !['never', 'running'].includes(state.run) && task.last_run?.status !== state.run) return false;
  if (state.search) {
    const needle = state.search.toLowerCase();
    const haystack = `${task.description} ${typeLabel(task.type)} ${task.settings?.import_name || ''}`.toLowerCase();
    if (!haystack.includes(needle)) return false;
  }
  return true;
}

export function sortTasks(tasks, state) {
  const column = COLUMNS.find((c) => c.key === state.sort) || COLUMNS[4];
  const direction = state.direction;
  return [...tasks].sort((a, b) => {
    const x = column.value(a);
    const y = column.value(b);
    if (x < y) return -direction;
    if (x > y) return direction;
    return a.sequence_no - b.sequence_no || a.description.localeCompare(b.description);
  });
}

export async function showTaskList(app) {
  const store = taskStore(app);
  const state = listState(app);
  const followers = new Map(); // run pollers of rows with an active run
  const types = app.schema.taskVariants().map((variant) => variant.type);

  const summary = h('p', {class: 'summary', id: 'list-summary', 'aria-live': 'polite'});
  const tbody = h('tbody');
  const headRow = h('tr');
  const pager = h('nav', {class: 'pager', 'aria-label': 'Pages of tasks'});
  const table = h('table', {class: 'tasks', 'aria-describedby': 'list-summary'},
    h('caption', {class: 'visually-hidden'}, 'Periodic tasks of the environment'), h('thead', {}, headRow), tbody);

  const select = (label, key, options) => {
    const id = uid('filter');
    const control = h('select', {id, name: key, onchange: (event) => {
      state[key] = key === 'pageSize' ? Number(event.target.value) : event.target.value;
      state.page = 0;
      render();
    }}, options.map(([value, text]) => h('option', {value, selected: String(state[key]) === value}, text)));
    return h('div', {class: 'field'}, h('label', {for: id}, label), control);
  };
  const searchId = uid('filter');
  let debounce = null;
  const search = h('input', {id: searchId, type: 'search', value: state.search, placeholder: 'Description or import',
    oninput: (event) => {
      clearTimeout(debounce);
      debounce = setTimeout(() => { state.search = event.target.value.trim(); state.page = 0; render(); }, 120);
    }});
  const filters = h('form', {class: 'filters', role: 'search', 'aria-label': 'Filter tasks',
    onsubmit: (event) => event.preventDefault()},
  h('div', {class: 'field grow'}, h('label', {for: searchId}, 'Search'), search),
  select('Type', 'type', [['', 'All types'], ...types.map((type) => [type, typeLabel(type)])]),
  select('Active', 'active', [['', 'Active and inactive'], ['yes', 'Active'], ['no', 'Inactive']]),
  select('Status', 'run', RUN_FILTERS),
  select('Rows per page', 'pageSize', [['25', '25'], ['50', '50'], ['100', '100']]));

  const refresh = h('button', {type: 'button', class: 'secondary', onclick: async () => {
    announce('Refreshing the task list…');
    try {
      await store.load({refresh: true});
      announce('Task list refreshed.');
    } catch (error) {
      announce(error.message, {kind: 'error'});
    }
  }}, 'Refresh');

  append(clear(app.main), 
    h('div', {class: 'page-head'}, h('h1', {}, 'Periodic tasks'),
      h('div', {class: 'actions'}, refresh, h('a', {href: '#/tasks/new', class: 'button primary'}, 'Add a task'))),
    filters, summary, h('div', {class: 'table-wrap'}, table), pager);

  const renderHead = () => {
    clear(headRow);
    for (const column of COLUMNS) {
      const sorted = state.sort === column.key;
      const th = h('th', {scope: 'col', class: `col-${column.key}`,
        'aria-sort': sorted ? (state.direction > 0 ? 'ascending' : 'descending') : null});
      if (column.sortable === false) {
        th.append(column.label);
      } else {
        th.append(h('button', {type: 'button', class: 'sort', onclick: () => {
          state.direction = sorted ? -state.direction : 1;
          state.sort = column.key;
          state.page = 0;
          render();
          headRow.querySelector(`.col-${column.key} button`).focus();
        }}, column.label, h('span', {class: 'sort-mark', 'aria-hidden': 'true'},
          sorted ? (state.direction > 0 ? ' ▲' : ' ▼') : '')));
      }
      headRow.append(th);
    }
  };

  const start = async (task, button) => {
    button.disabled = true;
    try {
      const run = await request('POST', envPath(`/tasks/${task.task_id}/start`));
      store.setLastRun(task.task_id, run);
      announce(`“${task.description}” started.`);
      follow(task.task_id, run.run_id);
    } catch (error) {
      announce(error instanceof ApiError && error.status === 409
        ? `“${task.description}” is already running.` : error.message, {kind: 'error'});
      button.disabled = false;
    }
  };

  const stop = async (task, button) => {
    button.disabled = true;
    try {
      const run = await request('POST', envPath(`/tasks/${task.task_id}/stop`));
      store.setLastRun(task.task_id, run);
      announce(`Stopping “${task.description}” at the next safe point.`);
    } catch (error) {
      announce(error instanceof ApiError && error.status === 409
        ? `“${task.description}” is not running.` : error.message, {kind: 'error'});
      button.disabled = false;
    }
  };

  const follow = (taskId, runId) => {
    if (followers.has(runId)) return;
    followers.set(runId, followRun(runId, {
      interval: 1500,
      onUpdate: (run) => store.setLastRun(taskId, run),
      onEnd: async (run) => {
        followers.delete(runId);
        announce(`Run of “${store.get(taskId)?.description || 'the task'}” ended: ${statusLabel(run.status)}.`);
        try {
          store.upsert(await request('GET', envPath(`/tasks/${taskId}`)));
        } catch { /* the row keeps what the run said */ }
      },
    }));
  };

  const row = (task) => {
    const zone = task.frequency?.timezone;
    const last = task.last_run;
    const running = isActive(last);
    const action = running
      ? h('button', {type: 'button', class: 'danger small', onclick: (e) => stop(task, e.currentTarget),
        'aria-label': `Stop “${task.description}”`, disabled: Boolean(last?.cancel_requested)}, 'Stop')
      : h('button', {type: 'button', class: 'secondary small', onclick: (e) => start(task, e.currentTarget),
        'aria-label': `Start “${task.description}”`}, 'Start');
    if (running) follow(task.task_id, last.run_id);
    return h('tr', {dataset: {taskId: task.task_id}},
      h('td', {class: 'col-active', 'data-label': 'Active'},
        h('span', {class: `badge ${task.active ? 'on' : 'off'}`}, task.active ? 'Yes' : 'No')),
      h('td', {class: 'col-type', 'data-label': 'Type'}, typeLabel(task.type)),
      h('td', {class: 'col-description', 'data-label': 'Description'},
        h('a', {href: `#/tasks/${task.task_id}`}, task.description)),
      h('td', {class: 'col-frequency', 'data-label': 'Frequency'}, frequencyInWords(task.frequency)),
      h('td', {class: 'col-sequence_no num', 'data-label': 'Sequence no'}, String(task.sequence_no)),
      h('td', {class: 'col-next_run_at', 'data-label': 'Next run'}, task.next_run_at
        ? h('time', {datetime: task.next_run_at, title: relative(task.next_run_at)},
          formatDateTime(task.next_run_at, {timeZone: zone}))
        : h('span', {class: 'muted'}, task.active ? '—' : 'inactive')),
      h('td', {class: 'col-last_run', 'data-label': 'Last run'}, last
        ? h('a', {href: `#/runs/${last.run_id}`, class: 'last-run'}, statusBadge(last.status),
          last.ended_at || last.started_at
            ? h('time', {datetime: last.ended_at || last.started_at, class: 'muted'},
              ` ${formatDateTime(last.ended_at || last.started_at, {timeZone: zone})}`) : null)
        : h('span', {class: 'muted'}, 'never')),
      h('td', {class: 'col-actions', 'data-label': 'Actions'}, action));
  };

  const renderPager = (total, pages) => {
    clear(pager);
    if (pages <= 1) return;
    const go = (page) => {
      state.page = page;
      render();
      table.scrollIntoView({block: 'start'});
      pager.querySelector(page > state.page ? '.next' : '.previous')?.focus();
    };
    pager.append(
      h('button', {type: 'button', class: 'secondary small previous', disabled: state.page === 0, 'aria-label': 'Previous page',
        onclick: () => go(state.page - 1)}, '‹ Previous'),
      h('span', {class: 'page-of'}, `Page ${state.page + 1} of ${pages}`),
      h('button', {type: 'button', class: 'secondary small next', disabled: state.page >= pages - 1, 'aria-label': 'Next page',
        onclick: () => go(state.page + 1)}, 'Next ›'));
  };

  function render() {
    renderHead();
    const visible = sortTasks(store.tasks.filter((task) => matchesFilters(task, state)), state);
    const pages = Math.max(1, Math.ceil(visible.length / state.pageSize));
    state.page = Math.min(state.page, pages - 1);
    const first = state.page * state.pageSize;
    const shown = visible.slice(first, first + state.pageSize);
    tbody.replaceChildren(...shown.map(row));
    if (!shown.length) {
      tbody.append(h('tr', {}, h('td', {colspan: COLUMNS.length, class: 'empty'},
        store.tasks.length ? 'No task matches these filters.' : (store.complete ? 'No periodic tasks yet. ' : 'Loading…'),
        store.complete && !store.tasks.length ? h('a', {href: '#/tasks/new'}, 'Add the first task') : null)));
    }
    const loading = store.complete ? '' : ` (loading: ${formatNumber(store.tasks.length)} so far…)`;
    const filtered = visible.length !== store.tasks.length ? ` (${formatNumber(store.tasks.length)} in all)` : '';
    summary.textContent = visible.length
      ? `Tasks ${formatNumber(first + 1)}–${formatNumber(first + shown.length)} of ${formatNumber(visible.length)}${filtered}${loading}`
      : `No tasks shown${filtered}${loading}`;
    table.setAttribute('aria-busy', String(!store.complete));
    if (store.error) summary.textContent += ` — ${store.error.message}`;
    renderPager(visible.length, pages);
  }

  const unsubscribe = store.subscribe(render);
  render();
  if (!store.complete && !store.loading) store.load().catch(() => {});
  else if (store.complete) store.load({refresh: true}).catch(() => {});
  return () => {
    unsubscribe();
    clearTimeout(debounce);
    for (const stopFollowing of followers.values()) stopFollowing();
  };
}
