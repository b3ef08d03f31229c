// One run: status, counts, progress while active, its messages (file, sheet, row, column, value) filterable by
// level, and its files as download links (through the files API).

import {envPath, request} from '../api.js';
import {announce, append, clear, h} from '../dom.js';
import {downloadLink} from '../files.js';
import {countTiles, followRun, isActive, progressBar, statusBadge} from '../runs.js';
import {duration, fileRoleLabel, formatDateTime, formatNumber, statusLabel, typeLabel} from '../words.js';

const LEVELS = [['', 'All'], ['error', 'Errors'], ['warning', 'Warnings'], ['info', 'Info']];

export async function showRun(app, runId) {
  let run = await request('GET', envPath(`/runs/${runId}`));
  let task = null;
  try {
    task = await request('GET', envPath(`/tasks/${run.task_id}`));
  } catch { /* a deleted task's runs can still be read */ }
  const zone = task?.frequency?.timezone;
  let level = '';

  const heading = h('h1', {}, `Run of “${task ? task.description : typeLabel(run.task_type)}”`);
  const live = h('div', {class: 'live', 'aria-live': 'polite', id: 'run-status'});
  const facts = h('dl', {class: 'overview-list'});
  const counts = h('div', {class: 'counts-wrap'});
  const actions = h('div', {class: 'actions'});
  const files = h('section', {class: 'card', 'aria-labelledby': 'files-title'});
  const messages = h('section', {class: 'card', 'aria-labelledby': 'messages-title'});

  append(clear(app.main), 
    h('nav', {'aria-label': 'Breadcrumb', class: 'crumbs'}, h('a', {href: '#/tasks'}, 'Periodic tasks'), ' › ',
      task ? h('a', {href: `#/tasks/${task.task_id}`}, task.description) : 'Deleted task', ' › Run'),
    h('div', {class: 'page-head'}, heading),
    h('section', {class: 'card', 'aria-label': 'Run'}, live, facts, counts, actions),
    messages, files);

  const renderFacts = () => {
    const item = (term, detail) => h('div', {}, h('dt', {}, term), h('dd', {}, detail));
    append(clear(facts), 
      item('Status', h('span', {id: 'run-status-badge'}, statusBadge(run.status),
        run.cancel_requested && isActive(run) ? ' stopping at the next safe point…' : '')),
      item('Trigger', statusLabel(run.trigger)),
      item('Started', run.started_at ? formatDateTime(run.started_at, {timeZone: zone, seconds: true}) : 'not yet'),
      item('Ended', run.ended_at ? formatDateTime(run.ended_at, {timeZone: zone, seconds: true}) : '—'),
      item('Duration', duration(run.started_at, run.ended_at) || '—'),
      item('Run id', h('code', {}, run.run_id)));
    append(clear(counts), countTiles(run.counts));
    if (run.error) counts.append(h('p', {class: 'error'}, run.error));
    append(clear(live), isActive(run) ? progressBar(run, {label: 'Progress of this run'}) : null);
    clear(actions);
    if (isActive(run) && task) {
      const stop = h('button', {type: 'button', class: 'danger', id: 'stop-run', disabled: Boolean(run.cancel_requested),
        onclick: async () => {
          stop.disabled = true;
          try {
            run = await request('POST', envPath(`/tasks/${run.task_id}/stop`));
            announce('Stopping at the next safe point: what was committed stays committed.');
            renderFacts();
          } catch (error) {
            announce(error.message, {kind: 'error'});
            stop.disabled = false;
          }
        }}, 'Stop');
      actions.append(stop);
    }
  };

  const renderMessages = () => {
    const all = run.messages || [];
    const count = (value) => all.filter((m) => !value || m.level === value).length;
    const shown = all.filter((m) => !level || m.level === level);
    const filter = h('div', {class: 'segmented', role: 'group', 'aria-label': 'Show messages of level'},
      LEVELS.map(([value, text]) => h('button', {type: 'button', class: 'secondary small',
        'aria-pressed': String(level === value), onclick: (event) => {
          level = value;
          renderMessages();
          messages.querySelector(`[data-level="${value}"]`)?.focus();
          event.stopPropagation();
        }, dataset: {level: value}}, `${text} (${formatNumber(count(value))})`)));
    const rows = shown.map((message) => h('tr', {class: `level-${message.level}`},
      h('td', {'data-label': 'Level'}, h('span', {class: `badge level-${message.level}`}, message.level)),
      h('td', {'data-label': 'File'}, message.file || ''),
      h('td', {'data-label': 'Sheet'}, message.sheet || ''),
      h('td', {'data-label': 'Row', class: 'num'}, message.row ?? ''),
      h('td', {'data-label': 'Column'}, message.column || ''),
      h('td', {'data-label': 'Value'}, message.value !== null && message.value !== undefined
        ? h('code', {}, message.value) : ''),
      h('td', {'data-label': 'Message'}, message.text)));
    append(clear(messages), h('h2', {id: 'messages-title'}, 'Messages'), all.length ? filter : null,
      all.length
        ? h('div', {class: 'table-wrap'}, h('table', {class: 'messages'},
          h('caption', {class: 'visually-hidden'}, 'Run messages'),
          h('thead', {}, h('tr', {}, ['Level', 'File', 'Sheet', 'Row', 'Column', 'Value', 'Message']
            .map((text) => h('th', {scope: 'col'}, text)))),
          h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', {colspan: 7, class: 'empty'}, 'None of this level.')))))
        : h('p', {class: 'muted'}, 'No messages.'),
      run.messages_truncated ? h('p', {class: 'muted'},
        `${formatNumber(run.messages_truncated)} more messages were not stored; the report file has them all.`) : null);
  };

  const renderFiles = () => {
    const list = run.files || [];
    append(clear(files), h('h2', {id: 'files-title'}, 'Files'),
      list.length
        ? h('ul', {class: 'files'}, list.map((file) => h('li', {},
          h('span', {class: 'file-role'}, fileRoleLabel(file.role)), ' ',
          downloadLink(file, {text: file.key}))))
        : h('p', {class: 'muted'}, 'No files.'),
      list.length ? h('p', {class: 'help'}, 'A link opens a download that is valid for five minutes. ',
        h('a', {href: '#/files'}, 'All files of the environment')) : null);
  };

  renderFacts();
  renderMessages();
  renderFiles();
  if (!isActive(run)) return null;
  return followRun(run.run_id, {
    onUpdate: (fresh) => {
      run = fresh;
      renderFacts();
    },
    onEnd: (ended) => {
      run = ended;
      renderFacts();
      renderMessages();
      renderFiles();
      announce(`Run ended: ${statusLabel(ended.status)}.`);
    },
  });
}
