// Upload a file into an import's folder (Uploads/<import>/): drag and drop or choose, a presigned PUT with
// progress, then follow the AutoImport run the upload starts.

import {ApiError, envPath, putFile, request} from '../api.js';
import {announce, append, clear, h} from '../dom.js';
import {countsText, progressBar, statusBadge} from '../runs.js';
import {taskStore} from '../task_store.js';
import {formatNumber, statusLabel} from '../words.js';

const WAIT_FOR_RUN_MS = 60000;

export async function showUpload(app, query) {
  const store = taskStore(app);
  if (!store.complete) await store.load();
  const imports = store.tasks.filter((task) => task.type === 'import' && task.settings?.import_name);
  const wanted = query.get('import');
  const stops = [];

  const importSelect = h('select', {id: 'upload-import', name: 'import', required: true},
    imports.map((task) => h('option', {value: task.task_id, selected: task.settings.import_name === wanted},
      `${task.settings.import_name} — ${task.description}${task.settings.manual_upload === false ? ' (manual upload off)' : ''}`)));
  const importHelp = h('p', {class: 'help', id: 'upload-import-help'});
  const fileInput = h('input', {id: 'upload-file', type: 'file', name: 'file', class: 'visually-hidden'});
  const chosen = h('p', {class: 'chosen', id: 'upload-chosen'}, 'No file chosen.');
  const zone = h('div', {class: 'dropzone', tabindex: '0', role: 'button', 'aria-describedby': 'upload-chosen',
    'aria-label': 'Choose a file, or drop one here'},
  h('p', {}, h('strong', {}, 'Drop a file here'), ' or ', h('span', {class: 'link-like'}, 'choose one')),
  h('p', {class: 'muted'}, 'XLSX, XLS, ODS, CSV, TXT, ZIP, ETIM xChange JSON, BMEcat XML'));
  const send = h('button', {type: 'submit', class: 'primary', disabled: true}, 'Upload');
  const progress = h('div', {class: 'upload-progress', 'aria-live': 'polite', id: 'upload-progress'});
  const outcome = h('div', {class: 'upload-run', id: 'upload-run', 'aria-live': 'polite'});
  let file = null;

  const describeImport = () => {
    const task = imports.find((t) => t.task_id === importSelect.value);
    if (!task) return;
    const s = task.settings;
    importHelp.textContent = `Into Uploads/${s.import_name}/. `
      + (s.auto_import ? 'AutoImport is on: the upload starts the import at once.'
        : 'AutoImport is off: the file waits for the task’s next run (or press Start on the task).');
  };
  importSelect.addEventListener('change', describeImport);
  describeImport();

  const choose = (picked) => {
    file = picked || null;
    chosen.textContent = file ? `${file.name} (${formatNumber(Math.ceil(file.size / 1024))} KB)` : 'No file chosen.';
    send.disabled = !file || !imports.length;
  };
  fileInput.addEventListener('change', () => choose(fileInput.files[0]));
  zone.addEventListener('click', () => fileInput.click());
  zone.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      fileInput.click();
    }
  });
  for (const name of ['dragenter', 'dragover']) {
    zone.addEventListener(name, (event) => { event.preventDefault(); zone.classList.add('over'); });
  }
  for (const name of ['dragleave', 'drop']) zone.addEventListener(name, () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    if (event.dataTransfer?.files?.length) choose(event.dataTransfer.files[0]);
  });

  const form = h('form', {class: 'card upload', novalidate: true},
    h('div', {class: 'field'}, h('label', {for: 'upload-import'}, 'Import'), importSelect, importHelp),
    h('div', {class: 'field'}, h('label', {for: 'upload-file'}, 'File'), fileInput, zone, chosen),
    h('div', {class: 'actions'}, send), progress);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const task = imports.find((t) => t.task_id === importSelect.value);
    if (!task || !file) return;
    send.disabled = true;
    clear(outcome);
    const bar = h('progress', {max: 1, value: 0, 'aria-label': 'Upload progress'});
    const text = h('span', {}, 'Asking for an upload URL…');
    append(clear(progress), bar, ' ', text);
    try {
      const before = new Set((await request('GET', envPath(`/tasks/${task.task_id}/runs`), {query: {limit: 20}}))
        .items.map((run) => run.run_id));
      const ticket = await request('POST', envPath('/uploads'),
        {body: {import_name: task.settings.import_name, file_name: file.name}});
      let shownStep = -1;
      await putFile(ticket.url, file, {onProgress: (fraction) => {
        bar.value = fraction;
        const step = Math.floor(fraction * 10);
        if (step !== shownStep) { shownStep = step; text.textContent = `Uploading… ${Math.round(fraction * 100)}%`; }
      }});
      bar.value = 1;
      text.textContent = `Uploaded ${file.name} into Uploads/${task.settings.import_name}/.`;
      announce(`Uploaded ${file.name}.`);
      if (task.settings.auto_import) stops.push(waitForRun(task, before, outcome));
      else outcome.append(h('p', {}, 'The file waits in the folder for the task’s next run. ',
        h('a', {href: `#/tasks/${task.task_id}`}, 'Open the task')));
    } catch (error) {
      text.textContent = error instanceof ApiError && error.fieldErrors.length
        ? error.fieldErrors.map((e) => `${e.field}: ${e.message}`).join('; ')
        : error.message;
      progress.classList.add('error');
      announce(text.textContent, {kind: 'error'});
    } finally {
      send.disabled = !file;
    }
  });

  append(clear(app.main), h('div', {class: 'page-head'}, h('h1', {}, 'Upload a file')),
    h('p', {}, 'A manual upload goes into the import’s folder, exactly like a supplier’s FTPS upload.'),
    imports.length ? form : h('p', {class: 'card'}, 'No import task in this environment yet. ',
      h('a', {href: '#/tasks/new'}, 'Add one')),
    outcome);
  return () => stops.forEach((stop) => stop());
}

/** Poll the import's runs until the one this upload started appears, then show it live until it ends. */
function waitForRun(task, before, outcome) {
  let stopped = false;
  const started = Date.now();
  const line = h('p', {}, 'Waiting for the AutoImport run to start…');
  append(clear(outcome), h('h2', {}, 'The import of this file'), line);
  const tick = async () => {
    if (stopped) return;
    try {
      const runs = (await request('GET', envPath(`/tasks/${task.task_id}/runs`), {query: {limit: 20}})).items;
      const run = runs.find((r) => !before.has(r.run_id) && r.trigger === 'upload');
      if (run) {
        append(clear(line), statusBadge(run.status), ' ',
          ['queued', 'running'].includes(run.status) ? progressBar(run) : countsText(run.counts), ' ',
          h('a', {href: `#/runs/${run.run_id}`, id: 'upload-run-link'}, 'Open the run'));
        if (!['queued', 'running'].includes(run.status)) {
          announce(`The import ended: ${statusLabel(run.status)}, ${countsText(run.counts)}.`);
          return;
        }
      } else if (Date.now() - started > WAIT_FOR_RUN_MS) {
        line.textContent = 'No run has started yet; the task’s run history will show it. ';
        line.append(h('a', {href: `#/tasks/${task.task_id}`}, 'Open the task'));
        return;
      }
    } catch { /* try again */ }
    setTimeout(tick, 1000);
  };
  tick();
  return () => { stopped = true; };
}
