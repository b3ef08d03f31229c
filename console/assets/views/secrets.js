// Secrets of the environment (credentials that task settings name): names only, set a value (write-only), delete.

import {ApiError, envPath, request} from '../api.js';
import {announce, append, clear, confirmDialog, h} from '../dom.js';
import {formatDateTime} from '../words.js';

export async function showSecrets(app) {
  const body = h('tbody');
  const name = h('input', {id: 'secret-name', name: 'name', required: true, maxlength: 64, autocomplete: 'off',
    spellcheck: 'false', 'aria-describedby': 'secret-name-help secret-error'});
  const value = h('input', {id: 'secret-value', name: 'value', type: 'password', required: true,
    autocomplete: 'new-password', 'aria-describedby': 'secret-value-help secret-error'});
  const error = h('p', {class: 'field-error', id: 'secret-error', hidden: true});

  const load = async () => {
    const secrets = (await request('GET', envPath('/secrets'))).items || [];
    body.replaceChildren(...secrets.map((secret) => h('tr', {},
      h('td', {'data-label': 'Name'}, h('code', {}, secret.name)),
      h('td', {'data-label': 'Set'}, formatDateTime(secret.updated_at)),
      h('td', {'data-label': 'Actions', class: 'row-actions'},
        h('button', {type: 'button', class: 'secondary small', 'aria-label': `Set a new value for ${secret.name}`,
          onclick: () => { name.value = secret.name; value.value = ''; value.focus(); }}, 'New value'),
        h('button', {type: 'button', class: 'danger small', 'aria-label': `Delete ${secret.name}`,
          onclick: () => remove(secret.name)}, 'Delete')))));
    if (!secrets.length) body.append(h('tr', {}, h('td', {colspan: 3, class: 'empty'}, 'No secrets yet.')));
  };
  const remove = async (secretName) => {
    const sure = await confirmDialog({title: `Delete secret ${secretName}?`,
      text: 'Tasks that name it can no longer log in to their system until it is set again.'});
    if (!sure) return;
    try {
      await request('DELETE', envPath(`/secrets/${encodeURIComponent(secretName)}`));
      announce(`Deleted ${secretName}.`);
      await load();
    } catch (failure) { announce(failure.message, {kind: 'error'}); }
  };

  const form = h('form', {class: 'card inline-form', novalidate: true},
    h('h2', {}, 'Set a secret'),
    h('div', {class: 'field'}, h('label', {for: 'secret-name'}, 'Name'), name,
      h('p', {class: 'help', id: 'secret-name-help'}, 'What task settings call it, e.g. etim-secret.')),
    h('div', {class: 'field'}, h('label', {for: 'secret-value'}, 'Value'), value,
      h('p', {class: 'help', id: 'secret-value-help'}, 'Write-only: it is never shown again, here or in the API.')),
    error, h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Save secret')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      await request('PUT', envPath(`/secrets/${encodeURIComponent(name.value.trim())}`), {body: {value: value.value}});
      announce(`Secret ${name.value.trim()} saved.`);
      name.value = '';
      value.value = '';
      await load();
    } catch (failure) {
      error.hidden = false;
      error.textContent = failure instanceof ApiError && failure.fieldErrors.length
        ? failure.fieldErrors.map((e) => `${e.field}: ${e.message}`).join('; ') : failure.message;
    } finally {
      value.value = '';
    }
  });

  append(clear(app.main), h('div', {class: 'page-head'}, h('h1', {}, 'Secrets')),
    h('p', {}, 'Credentials of outside systems (ETIM, 2BA, Magento, Art-Connect, SFTP). Task settings name them; '
      + 'their values never leave the store.'),
    form,
    h('section', {class: 'card', 'aria-labelledby': 'secrets-list-title'}, h('h2', {id: 'secrets-list-title'}, 'Secrets'),
      h('div', {class: 'table-wrap'}, h('table', {},
        h('caption', {class: 'visually-hidden'}, 'Secrets'),
        h('thead', {}, h('tr', {}, ['Name', 'Set', 'Actions'].map((text) => h('th', {scope: 'col'}, text)))), body))));
  await load();
}
