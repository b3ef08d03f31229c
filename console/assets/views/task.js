// One task: "Adding a task" and editing one (common settings + the settings of its type, built from the API's
// schema), Start and Stop, activate/deactivate, delete with a confirmation, and its run history with live progress.

import {ApiError, envPath, request} from '../api.js';
import {announce, append, clear, confirmDialog, h} from '../dom.js';
import {buildField, FormContext} from '../form.js';
import {countsText, followRun, isActive, progressBar, statusBadge} from '../runs.js';
import {taskStore} from '../task_store.js';
import {duration, formatDateTime, frequencyInWords, relative, statusLabel, typeLabel} from '../words.js';

const COMMON_ORDER = ['active', 'type', 'description', 'frequency', 'sequence_no', 'notification'];

async function secretNames() {
  try {
    const answer = await request('GET', envPath('/secrets'));
    return (answer.items || []).map((secret) => secret.name);
  } catch {
    return [];
  }
}

export async function showTask(app, taskId) {
  const store = taskStore(app);
  const [task, secrets] = await Promise.all([
    taskId ? request('GET', envPath(`/tasks/${taskId}`)) : Promise.resolve(null),
    secretNames(),
  ]);
  const stops = [];
  const view = h('div', {class: 'task-page'});
  append(clear(app.main), view);
  if (task) store.upsert(task);

  const heading = h('h1', {}, task ? task.description : 'Adding a task');
  const crumbs = h('nav', {'aria-label': 'Breadcrumb', class: 'crumbs'},
    h('a', {href: '#/tasks'}, 'Periodic tasks'), ' › ', task ? typeLabel(task.type) : 'New');
  view.append(crumbs, h('div', {class: 'page-head'}, heading));

  if (task) {
    const overview = h('section', {class: 'card overview', 'aria-labelledby': 'overview-title'});
    view.append(overview);
    const runsSection = h('section', {class: 'card', 'aria-labelledby': 'runs-title'});
    view.append(runsSection);
    const runs = runHistory(app, task, runsSection, stops, () => reloadTask());
    const renderOverview = (current) => {
      append(clear(overview), h('h2', {id: 'overview-title', class: 'visually-hidden'}, 'Overview'),
        overviewList(current),
        h('div', {class: 'actions'}, taskActions(app, current, {
          onStarted: (run) => { runs.started(run); renderOverview({...current, last_run: run}); },
          onStopped: (run) => { runs.update(run); renderOverview({...current, last_run: run}); },
          onChanged: (changed) => { store.upsert(changed); renderOverview(changed); heading.textContent = changed.description; },
        })));
    };
    const reloadTask = async () => {
      const fresh = await request('GET', envPath(`/tasks/${task.task_id}`));
      store.upsert(fresh);
      renderOverview(fresh);
    };
    renderOverview(task);
    runs.load();
  }

  view.append(taskForm(app, task, secrets));
  return () => stops.forEach((stop) => stop());
}

function overviewList(task) {
  const zone = task.frequency?.timezone;
  const last = task.last_run;
  const item = (term, ...detail) => h('div', {}, h('dt', {}, term), h('dd', {}, ...detail));
  return h('dl', {class: 'overview-list'},
    item('Type', typeLabel(task.type)),
    item('Active', h('span', {class: `badge ${task.active ? 'on' : 'off'}`}, task.active ? 'Yes' : 'No')),
    item('Frequency', frequencyInWords(task.frequency)),
    item('Next run', task.next_run_at
      ? h('span', {id: 'next-run'}, h('time', {datetime: task.next_run_at}, formatDateTime(task.next_run_at, {timeZone: zone})),
        h('span', {class: 'muted'}, ` (${relative(task.next_run_at)})`))
      : h('span', {id: 'next-run', class: 'muted'}, task.active ? 'not scheduled' : 'never: the task is inactive')),
    item('Last run', last ? h('a', {href: `#/runs/${last.run_id}`}, statusBadge(last.status),
      last.ended_at ? ` ${formatDateTime(last.ended_at, {timeZone: zone})}` : '') : h('span', {class: 'muted'}, 'never')),
    item('Sequence no', String(task.sequence_no)));
}

/** Start or Stop: POST .../start|stop, the outcome announced (409: `conflict`), `onDone(run)` on success. */
function runButton({task, action, label, className, onDone, done, conflict}) {
  const button = h('button', {type: 'button', class: className, id: `${action}-task`, onclick: async () => {
    button.disabled = true;
    try {
      const run = await request('POST', envPath(`/tasks/${task.task_id}/${action}`));
      announce(done(run));
      onDone(run);
    } catch (error) {
      announce(error.status === 409 ? conflict : error.message, {kind: 'error'});
    } finally {
      button.disabled = false;
    }
  }}, label);
  return button;
}

function taskActions(app, task, {onStarted, onStopped, onChanged}) {
  const running = isActive(task.last_run);
  const start = runButton({task, action: 'start', label: 'Start', className: 'primary', onDone: onStarted,
    done: (run) => `Started: run ${run.run_id.slice(0, 8)}.`, conflict: 'A run of this task is already active.'});
  const stop = runButton({task, action: 'stop', label: 'Stop', className: 'danger', onDone: onStopped,
    done: () => 'Stopping at the next safe point: what was committed stays committed.',
    conflict: 'Nothing of this task is running.'});
  const toggle = h('button', {type: 'button', class: 'secondary', onclick: async () => {
    toggle.disabled = true;
    try {
      const changed = await request('PATCH', envPath(`/tasks/${task.task_id}`), {body: {active: !task.active},
        contentType: 'application/merge-patch+json'});
      announce(changed.active ? 'The task is active: it runs on its schedule.' : 'The task is inactive: it never fires on schedule.');
      onChanged(changed);
    } catch (error) {
      announce(error.message, {kind: 'error'});
      toggle.disabled = false;
    }
  }}, task.active ? 'Deactivate' : 'Activate');
  const remove = h('button', {type: 'button', class: 'danger secondary', onclick: async () => {
    const sure = await confirmDialog({title: 'Delete this task?',
      text: `“${task.description}” and its schedule will be deleted. Its run history stays until it expires.`});
    if (!sure) return;
    try {
      await request('DELETE', envPath(`/tasks/${task.task_id}`));
      taskStore(app).remove(task.task_id);
      announce(`Deleted “${task.description}”.`);
      window.location.hash = '#/tasks';
    } catch (error) {
      announce(error.message, {kind: 'error'});
    }
  }}, 'Delete');
  const upload = task.type === 'import' && task.settings?.manual_upload !== false
    ? h('a', {class: 'button secondary', href: `#/upload?import=${encodeURIComponent(task.settings.import_name)}`},
      'Upload a file')
    : null;
  return [start, running ? stop : null, toggle, upload, remove];
}

/** The run history: newest first, a page at a time, live while a run is active. */
function runHistory(app, task, section, stops, onRunEnded) {
  const zone = task.frequency?.timezone;
  const body = h('tbody');
  const live = h('p', {class: 'live', 'aria-live': 'polite', id: 'run-live'});
  const more = h('button', {type: 'button', class: 'secondary small', hidden: true}, 'Show older runs');
  let runs = [];
  let token = null;
  const followed = new Map();
  section.append(h('h2', {id: 'runs-title'}, 'Runs'), live,
    h('div', {class: 'table-wrap'}, h('table', {class: 'runs'},
      h('caption', {class: 'visually-hidden'}, 'Run history, newest first'),
      h('thead', {}, h('tr', {}, ['Started', 'Trigger', 'Status', 'Progress / counts', 'Duration']
        .map((text) => h('th', {scope: 'col'}, text)))), body)), more);

  const render = () => {
    body.replaceChildren(...runs.map((run) => h('tr', {dataset: {runId: run.run_id}},
      h('td', {'data-label': 'Started'}, h('a', {href: `#/runs/${run.run_id}`},
        run.started_at ? formatDateTime(run.started_at, {timeZone: zone, seconds: true}) : 'not yet')),
      h('td', {'data-label': 'Trigger'}, statusLabel(run.trigger)),
      h('td', {'data-label': 'Status'}, statusBadge(run.status), run.cancel_requested && isActive(run) ? ' stopping…' : ''),
      h('td', {'data-label': 'Progress'}, isActive(run) ? progressBar(run) : countsText(run.counts)),
      h('td', {'data-label': 'Duration'}, duration(run.started_at, run.ended_at)))));
    if (!runs.length) body.append(h('tr', {}, h('td', {colspan: 5, class: 'empty'}, 'No runs yet.')));
    more.hidden = !token;
  };
  const update = (run) => {
    const index = runs.findIndex((known) => known.run_id === run.run_id);
    if (index >= 0) runs[index] = run;
    else runs.unshift(run);
    taskStore(app).setLastRun(task.task_id, run);
    render();
    if (isActive(run)) follow(run);
  };
  const follow = (run) => {
    if (followed.has(run.run_id)) return;
    let announced = -1;
    const stop = followRun(run.run_id, {
      onUpdate: (fresh) => {
        const index = runs.findIndex((known) => known.run_id === fresh.run_id);
        if (index >= 0) runs[index] = fresh;
        render();
        const step = typeof fresh.progress === 'number' ? Math.floor(fresh.progress * 10) : 0;
        if (isActive(fresh) && step !== announced) {
          announced = step;
          live.textContent = `Run ${statusLabel(fresh.status).toLowerCase()}${typeof fresh.progress === 'number'
            ? `: ${Math.round(fresh.progress * 100)}%` : ''}.`;
        }
      },
      onEnd: (ended) => {
        followed.delete(ended.run_id);
        live.textContent = `Run ended: ${statusLabel(ended.status)}${ended.counts ? ` (${countsText(ended.counts)})` : ''}.`;
        taskStore(app).setLastRun(task.task_id, ended);
        onRunEnded();
      },
    });
    followed.set(run.run_id, stop);
    stops.push(stop);
  };
  const load = async (next = null) => {
    const page = await request('GET', envPath(`/tasks/${task.task_id}/runs`), {query: {limit: 20, next_token: next}});
    runs = next ? [...runs, ...page.items] : page.items;
    token = page.next_token || null;
    render();
    runs.filter(isActive).forEach(follow);
  };
  more.addEventListener('click', () => load(token).catch((error) => announce(error.message, {kind: 'error'})));
  return {load: () => load().catch((error) => announce(error.message, {kind: 'error'})), started: update, update};
}

/** The form: common settings, then the settings of the chosen type; 422s are shown next to their fields. */
function taskForm(app, task, secrets) {
  const variants = app.schema.taskVariants();
  const section = h('section', {class: 'card', 'aria-labelledby': 'form-title'});
  const form = h('form', {class: 'task-form', novalidate: true});
  const summary = h('div', {class: 'form-error', role: 'alert', tabindex: '-1', hidden: true});
  section.append(h('h2', {id: 'form-title'}, task ? 'Settings' : 'Common settings'), summary, form);
  let context = null;
  let root = null;

  const typeId = 'task-type';
  const typeSelect = h('select', {id: typeId, name: 'type', disabled: Boolean(task)},
    variants.map((variant) => h('option', {value: variant.type, selected: task ? task.type === variant.type : variant.type === 'import'},
      typeLabel(variant.type))));
  const commonSlot = h('div', {class: 'common'});
  const settingsSlot = h('div', {class: 'type-settings'});
  const settingsTitle = h('h2', {id: 'settings-title'});
  const save = h('button', {type: 'submit', class: 'primary'}, task ? 'Save changes' : 'Create task');
  form.append(
    h('div', {class: 'field'}, h('label', {for: typeId}, 'Periodic task type'), typeSelect,
      h('p', {class: 'help'}, task ? 'Fixed after creation.' : 'Which kind of work the task does; fixed after creation.')),
    commonSlot, settingsTitle, settingsSlot,
    h('div', {class: 'actions sticky'}, save, h('a', {href: task ? `#/tasks/${task.task_id}` : '#/tasks', class: 'button secondary',
      onclick: (event) => { if (task) { event.preventDefault(); build(task); window.scrollTo(0, 0); } }}, task ? 'Undo changes' : 'Cancel')));

  function build(value) {
    const schema = app.schema.variantOf(typeSelect.value);
    context = new FormContext({api: app.schema, secrets, order: COMMON_ORDER});
    commonSlot.replaceChildren();
    settingsSlot.replaceChildren();
    const members = [];
    const required = schema.required || [];
    const names = Object.keys(schema.properties || {});
    const ordered = [...COMMON_ORDER.filter((n) => names.includes(n)), ...names.filter((n) => !COMMON_ORDER.includes(n))];
    for (const name of ordered) {
      if (name === 'type') continue;
      const field = buildField(context, {schema: schema.properties[name], path: name, name,
        required: required.includes(name), value: value?.[name]});
      members.push([name, field]);
      if (!field.element) continue;
      if (name === 'settings') {
        field.element.classList.add('bare');
        settingsSlot.append(field.element);
      } else {
        commonSlot.append(field.element);
      }
    }
    settingsTitle.textContent = `Settings for ${typeLabel(typeSelect.value)}`;
    root = {
      get() {
        const result = {type: typeSelect.value};
        for (const [name, field] of members) {
          const memberValue = field.get();
          if (memberValue !== undefined) result[name] = memberValue;
        }
        return result;
      },
      validate(problems) { for (const [, field] of members) field.validate(problems); },
    };
  }

  typeSelect.addEventListener('change', () => {
    const kept = root.get();
    delete kept.settings; // another type's settings do not carry over
    build(kept);
  });

  const showProblems = (problems, message) => {
    const {unplaced, first} = context.showErrors(problems);
    append(clear(summary), h('p', {}, message),
      h('ul', {}, problems.map((problem) => h('li', {}, h('a', {href: '#', onclick: (event) => {
        event.preventDefault();
        context.fieldFor(problem.field)?.focus();
      }}, `${problem.field || 'task'}: ${problem.message}`)))));
    summary.hidden = false;
    if (first && !unplaced.length) first.focus();
    else summary.focus();
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const problems = [];
    root.validate(problems);
    if (problems.length) {
      showProblems(problems, 'Please correct these fields:');
      return;
    }
    context.showErrors([]);
    summary.hidden = true;
    const body = root.get();
    save.disabled = true;
    try {
      const saved = task
        ? await request('PUT', envPath(`/tasks/${task.task_id}`), {body})
        : await request('POST', envPath('/tasks'), {body});
      taskStore(app).upsert(saved);
      announce(task ? 'Changes saved.' : `Task “${saved.description}” created.`);
      if (task) app.route();
      else window.location.hash = `#/tasks/${saved.task_id}`;
    } catch (error) {
      if (error instanceof ApiError && error.status === 422 && error.fieldErrors.length) {
        showProblems(error.fieldErrors, 'The API did not accept the task:');
      } else if (error instanceof ApiError && error.status === 409) {
        showProblems([], `${error.message} Reload the page to see the latest version.`);
      } else {
        showProblems([], error.message);
      }
    } finally {
      save.disabled = false;
    }
  });

  build(task || defaultTask(app));
  return section;
}

function defaultTask(app) {
  const zone = app.environment?.timezone || 'Europe/Amsterdam';
  return {active: true, frequency: {every: 'week', days: ['MON'], time: '12:53', timezone: zone}, sequence_no: 100};
}
