// The console's shell: sign-in, environment picker, navigation and a hash router (#/tasks, #/runs/<id>, ...).

import {ApiError, request, session} from './api.js';
import {announce, append, clear, h} from './dom.js';
import {ApiSchema} from './schema.js';
import {showFiles} from './views/files.js';
import {showFtpsUsers} from './views/ftps.js';
import {showRun} from './views/run.js';
import {showSecrets} from './views/secrets.js';
import {showTask} from './views/task.js';
import {showTaskList} from './views/tasks.js';
import {showUpload} from './views/upload.js';

const ROUTES = [
  [/^#\/tasks\/new$/, (app) => showTask(app, null)],
  [/^#\/tasks\/([0-9a-f]{32})$/, (app, [, id]) => showTask(app, id)],
  [/^#\/runs\/([0-9a-f]{32})$/, (app, [, id]) => showRun(app, id)],
  [/^#\/upload(?:\?(.*))?$/, (app, [, query]) => showUpload(app, new URLSearchParams(query || ''))],
  [/^#\/files(?:\?(.*))?$/, (app, [, query]) => showFiles(app, new URLSearchParams(query || ''))],
  [/^#\/ftps-users$/, (app) => showFtpsUsers(app)],
  [/^#\/secrets$/, (app) => showSecrets(app)],
  [/^#\/tasks(?:\?(.*))?$/, (app) => showTaskList(app)],
];

const NAVIGATION = [['#/tasks', 'Periodic tasks'], ['#/upload', 'Upload'], ['#/files', 'Files'],
  ['#/ftps-users', 'FTPS users'], ['#/secrets', 'Secrets']];

class App {
  constructor(root) {
    this.root = root;
    this.main = document.getElementById('main');
    this.header = document.getElementById('header');
    this.environments = [];
    this.schema = null;
    this.view = null; // the current view's cleanup (stops its polling)
    this.cache = {}; // per environment: the task list, kept across views
  }

  async start() {
    window.addEventListener('hashchange', () => this.route());
    // The skip link must not change the hash (the router owns it): it moves the focus instead.
    document.querySelector('.skip-link')?.addEventListener('click', (event) => {
      event.preventDefault();
      this.main.focus();
    });
    window.addEventListener('pimtasks:unauthorized', () => {
      if (session.key && !this.signingIn) {
        session.signOut();
        this.showSignIn('Your API key is no longer accepted. Sign in again.');
      }
    });
    // the schema and the key's environments load side by side (the first rows show sooner)
    const environments = session.key ? this.loadEnvironments().then(() => null, (error) => error) : null;
    try {
      this.schema = await ApiSchema.load();
    } catch (error) {
      this.fatal(`The console cannot start: ${error.message}`);
      return;
    }
    if (!session.key) {
      this.showSignIn();
      return;
    }
    try {
      const failed = await environments;
      if (failed) throw failed;
    } catch (error) {
      session.signOut();
      this.showSignIn(error.message);
      return;
    }
    this.route();
  }

  fatal(text) {
    append(clear(this.main), h('h1', {tabindex: '-1'}, 'pimtasks console'), h('p', {class: 'error'}, text));
  }

  async loadEnvironments() {
    const answer = await request('GET', '/environments');
    this.environments = answer.items || [];
    if (!this.environments.length) throw new Error('This API key is bound to no environment.');
    const known = this.environments.some((env) => env.environment === session.environment);
    if (!known) session.choose(this.environments[0].environment);
    this.renderHeader();
  }

  get environment() {
    return this.environments.find((env) => env.environment === session.environment) || this.environments[0];
  }

  renderHeader() {
    clear(this.header);
    const picker = h('select', {id: 'environment', name: 'environment',
      onchange: (event) => {
        session.choose(event.target.value);
        this.cache = {};
        announce(`Environment ${event.target.value} chosen.`);
        if (window.location.hash.startsWith('#/tasks')) this.route();
        else window.location.hash = '#/tasks';
      }},
    this.environments.map((env) => h('option', {value: env.environment,
      selected: env.environment === session.environment}, `${env.environment} · ${env.name}`)));
    this.header.append(
      h('div', {class: 'brand'}, h('span', {class: 'logo', 'aria-hidden': 'true'}, '⟳'), ' pimtasks'),
      h('nav', {'aria-label': 'Main'}, h('ul', {},
        NAVIGATION.map(([href, text]) => h('li', {}, h('a', {href, dataset: {nav: href}}, text))))),
      h('div', {class: 'session'},
        h('label', {for: 'environment'}, 'Environment'),
        this.environments.length > 1 ? picker : h('span', {class: 'env-name', id: 'environment-name'},
          `${this.environment.environment} · ${this.environment.name}`),
        h('button', {type: 'button', class: 'secondary small', onclick: () => this.signOut()}, 'Sign out')));
    if (this.environments.length <= 1) this.header.querySelector('label[for=environment]').htmlFor = 'environment-name';
  }

  signOut() {
    session.signOut();
    this.cache = {};
    announce('Signed out.');
    this.showSignIn();
  }

  showSignIn(message = '') {
    if (this.view) this.view();
    this.view = null;
    append(clear(this.header), h('div', {class: 'brand'}, h('span', {class: 'logo', 'aria-hidden': 'true'}, '⟳'),
      ' pimtasks'));
    const error = h('p', {class: 'form-error', id: 'signin-error', role: 'alert', hidden: !message}, message);
    const input = h('input', {id: 'api-key', name: 'api-key', type: 'password', required: true,
      autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'api-key-help signin-error'});
    const button = h('button', {type: 'submit', class: 'primary'}, 'Sign in');
    const form = h('form', {class: 'card signin', novalidate: true}, h('h1', {tabindex: '-1'}, 'Periodic tasks'),
      h('p', {}, 'Sign in with an API key to manage the periodic tasks of your environments.'),
      h('div', {class: 'field'}, h('label', {for: 'api-key'}, 'API key'), input,
        h('p', {class: 'help', id: 'api-key-help'},
          'Kept in this browser tab only (session storage) and sent to the API with each request. '
          + 'Locally, `make run` prints the admin key.')),
      error, h('div', {class: 'actions'}, button));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) {
        error.hidden = false;
        error.textContent = 'Enter an API key.';
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
      }
      button.disabled = true;
      button.textContent = 'Signing in…';
      this.signingIn = true;
      try {
        session.signIn(key);
        await this.loadEnvironments();
        announce(`Signed in to environment ${session.environment}.`);
        if (!window.location.hash || window.location.hash === '#/') window.location.hash = '#/tasks';
        this.route();
      } catch (failure) {
        session.signOut();
        error.hidden = false;
        error.textContent = failure instanceof ApiError && failure.status === 401
          ? 'This API key is not valid. Check that you copied all of it (make run prints the admin key), '
            + 'or ask an administrator for a new one.'
          : failure.message;
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        input.select();
        button.disabled = false;
        button.textContent = 'Sign in';
      } finally {
        this.signingIn = false;
      }
    });
    append(clear(this.main), form);
    input.focus();
  }

  async route() {
    if (!session.key) {
      this.showSignIn();
      return;
    }
    if (this.view) this.view();
    this.view = null;
    const hash = window.location.hash || '#/tasks';
    for (const link of this.header.querySelectorAll('nav a')) {
      const current = hash.startsWith(link.dataset.nav) || (link.dataset.nav === '#/tasks' && hash.startsWith('#/runs'));
      if (current) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    const [pattern, show] = ROUTES.find(([regex]) => regex.test(hash)) || [null, null];
    clear(this.main);
    if (!show) {
      this.main.append(h('h1', {tabindex: '-1'}, 'Not found'), h('p', {}, h('a', {href: '#/tasks'}, 'Periodic tasks')));
      this.focusHeading();
      return;
    }
    try {
      this.view = (await show(this, hash.match(pattern))) || null;
    } catch (error) {
      append(clear(this.main), h('h1', {tabindex: '-1'}, 'Something went wrong'),
        h('p', {class: 'error', role: 'alert'}, error.message),
        h('p', {}, h('a', {href: '#/tasks'}, 'Back to the periodic tasks')));
    }
    this.focusHeading();
  }

  /** After a navigation, focus goes to the page's heading so keyboard and screen-reader users start there. */
  focusHeading() {
    const heading = this.main.querySelector('h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus({preventScroll: false});
    }
  }

  taskCache() {
    const key = session.environment;
    if (!this.cache[key]) this.cache[key] = {tasks: null, complete: false, loading: null};
    return this.cache[key];
  }
}

const app = new App(document.body);
window.pimtasksConsole = app; // for the browser tests and the curious
app.start();
