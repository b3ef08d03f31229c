// FTPS users of the environment: list, create (a generated password shown once), reset the password, delete.

import {ApiError, envPath, request} from '../api.js';
import {announce, append, clear, confirmDialog, h} from '../dom.js';
import {formatDateTime} from '../words.js';

/** The one time a generated password can be seen: with a copy button and a clear warning. */
function passwordOnce(credentials, heading) {
  const value = h('code', {class: 'secret-once', id: 'generated-password'}, credentials.password);
  const copy = h('button', {type: 'button', class: 'secondary small', onclick: async () => {
    try {
      await navigator.clipboard.writeText(credentials.password);
      announce('Password copied.');
    } catch {
      announce('Copying is not allowed here: select the password and copy it.', {kind: 'error'});
    }
  }}, 'Copy');
  return h('div', {class: 'card once', role: 'status', tabindex: '-1'},
    h('h2', {}, heading),
    h('p', {}, 'User ', h('strong', {}, credentials.username), ', password: ', value, ' ', copy),
    h('p', {class: 'warning'}, 'This password is shown only now: only its hash is kept. Pass it on to the supplier securely.'));
}

export async function showFtpsUsers(app) {
  const body = h('tbody');
  const notice = h('div', {id: 'ftps-notice'});
  const load = async () => {
    const users = (await request('GET', envPath('/ftps-users'))).items || [];
    body.replaceChildren(...users.map((user) => h('tr', {},
      h('td', {'data-label': 'User name'}, user.username),
      h('td', {'data-label': 'Created'}, formatDateTime(user.created_at)),
      h('td', {'data-label': 'Last login'}, user.last_login_at ? formatDateTime(user.last_login_at) : 'never'),
      h('td', {'data-label': 'Password set'}, formatDateTime(user.password_changed_at)),
      h('td', {'data-label': 'Locked'}, user.locked_until ? `until ${formatDateTime(user.locked_until)}` : 'no'),
      h('td', {'data-label': 'Actions', class: 'row-actions'},
        h('button', {type: 'button', class: 'secondary small', 'aria-label': `Reset the password of ${user.username}`,
          onclick: () => reset(user.username)}, 'Reset password'),
        h('button', {type: 'button', class: 'danger small', 'aria-label': `Delete ${user.username}`,
          onclick: () => remove(user.username)}, 'Delete')))));
    if (!users.length) body.append(h('tr', {}, h('td', {colspan: 6, class: 'empty'}, 'No FTPS users yet.')));
  };
  const show = (credentials, heading) => {
    append(clear(notice), passwordOnce(credentials, heading));
    notice.firstChild.focus();
  };
  const reset = async (username) => {
    const sure = await confirmDialog({title: `Reset the password of ${username}?`, confirm: 'Reset password',
      text: 'A new password is generated and shown once; the old one stops working and a lock is lifted.'});
    if (!sure) return;
    try {
      show(await request('POST', envPath(`/ftps-users/${encodeURIComponent(username)}/reset-password`), {body: {}}),
        'New password');
      await load();
    } catch (error) { announce(error.message, {kind: 'error'}); }
  };
  const remove = async (username) => {
    const sure = await confirmDialog({title: `Delete FTPS user ${username}?`,
      text: 'The account can no longer log in. Files it uploaded stay.'});
    if (!sure) return;
    try {
      await request('DELETE', envPath(`/ftps-users/${encodeURIComponent(username)}`));
      announce(`Deleted ${username}.`);
      clear(notice);
      await load();
    } catch (error) { announce(error.message, {kind: 'error'}); }
  };

  const name = h('input', {id: 'ftps-username', name: 'username', required: true, minlength: 3, maxlength: 100,
    autocomplete: 'off', 'aria-describedby': 'ftps-username-help ftps-error'});
  const error = h('p', {class: 'field-error', id: 'ftps-error', hidden: true});
  const form = h('form', {class: 'card inline-form', novalidate: true},
    h('h2', {}, 'Add an FTPS user'),
    h('div', {class: 'field'}, h('label', {for: 'ftps-username'}, 'User name'), name,
      h('p', {class: 'help', id: 'ftps-username-help'},
        'Unique across all environments, e.g. supplier-apac. A strong password is generated and shown once.')),
    error, h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, 'Create user')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    name.removeAttribute('aria-invalid');
    try {
      const created = await request('POST', envPath('/ftps-users'), {body: {username: name.value.trim()}});
      name.value = '';
      show(created, 'FTPS user created');
      await load();
    } catch (failure) {
      error.hidden = false;
      error.textContent = failure instanceof ApiError && failure.fieldErrors.length
        ? failure.fieldErrors.map((e) => e.message).join('; ') : failure.message;
      name.setAttribute('aria-invalid', 'true');
      name.focus();
    }
  });

  append(clear(app.main), h('div', {class: 'page-head'}, h('h1', {}, 'FTPS users')),
    h('p', {}, 'Suppliers deliver files with their own FTPS account into Uploads/<import>/ of this environment.'),
    notice, form,
    h('section', {class: 'card', 'aria-labelledby': 'ftps-list-title'}, h('h2', {id: 'ftps-list-title'}, 'Users'),
      h('div', {class: 'table-wrap'}, h('table', {},
        h('caption', {class: 'visually-hidden'}, 'FTPS users'),
        h('thead', {}, h('tr', {}, ['User name', 'Created', 'Last login', 'Password set', 'Locked', 'Actions']
          .map((text) => h('th', {scope: 'col'}, text)))), body))));
  await load();
}
