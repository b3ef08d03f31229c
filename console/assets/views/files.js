// The environment's files: its folders (Uploads, Archived, Failed, Reports, Downloads, ...), each folder's
// subfolders and files a page at a time, and a download link for every file.

import {envPath, request} from '../api.js';
import {announce, append, clear, h} from '../dom.js';
import {downloadLink} from '../files.js';
import {folderDescription, formatBytes, formatDateTime} from '../words.js';

const PAGE = 100;

/** `#/files` (the folders) or `#/files?folder=Reports/Sales%20conditions%20APAC` (one folder). */
export async function showFiles(app, params) {
  const folder = (params.get('folder') || '').replace(/\/+$/, '');
  const heading = h('h1', {tabindex: '-1'}, folder ? folder.split('/').pop() : 'Files');
  const body = h('tbody');
  const more = h('button', {type: 'button', class: 'secondary', id: 'files-more', hidden: true}, 'Show more');
  append(clear(app.main), crumbs(folder), h('div', {class: 'page-head'}, heading));
  if (!folder) {
    const top = await request('GET', envPath('/files'));
    app.main.append(h('p', {}, 'The environment’s files, by folder (FTPS users see Uploads, Archived and Downloads).'),
      h('ul', {class: 'folders card', 'aria-label': 'Folders'}, top.folders.map((name) => h('li', {},
        folderLink(name), ' ', h('span', {class: 'muted'}, folderDescription(name.replace(/\/$/, '')))))));
    return null;
  }
  app.main.append(h('section', {class: 'card', 'aria-label': `Files in ${folder}`},
    h('div', {class: 'table-wrap'}, h('table', {class: 'files-table'},
      h('caption', {class: 'visually-hidden'}, `Files in ${folder}`),
      h('thead', {}, h('tr', {}, ['Name', 'Size', 'Last modified'].map((text) => h('th', {scope: 'col'}, text)))),
      body)), h('div', {class: 'actions'}, more)));
  let token = null;
  let shown = 0;
  const load = async () => {
    more.disabled = true;
    const page = await request('GET', envPath('/files'), {query: {folder, limit: PAGE, next_token: token}});
    body.append(...page.folders.map((name) => h('tr', {class: 'folder-row'},
      h('td', {'data-label': 'Name'}, folderLink(name, {short: true})), h('td', {'data-label': 'Size'}, '—'),
      h('td', {'data-label': 'Last modified'}, ''))),
    ...page.items.map((file) => h('tr', {'data-key': file.key},
      h('td', {'data-label': 'Name'}, downloadLink(file)),
      h('td', {'data-label': 'Size', class: 'num'}, formatBytes(file.size)),
      h('td', {'data-label': 'Last modified'}, formatDateTime(file.last_modified, {seconds: true})))));
    shown += page.folders.length + page.items.length;
    token = page.next_token || null;
    more.hidden = !token;
    more.disabled = false;
    if (!shown) body.append(h('tr', {}, h('td', {colspan: 3, class: 'empty'}, 'This folder is empty.')));
  };
  more.addEventListener('click', () => load().catch((error) => announce(error.message, {kind: 'error'})));
  await load();
  return null;
}

function folderHash(folder) {
  return `#/files?folder=${encodeURIComponent(folder.replace(/\/$/, ''))}`;
}

function folderLink(name, {short = false} = {}) {
  const bare = name.replace(/\/$/, '');
  return h('a', {href: folderHash(bare), class: 'folder-link'}, `${short ? bare.split('/').pop() : bare}/`);
}

/** Files › Reports › Sales conditions APAC: every level a link but the last. */
function crumbs(folder) {
  const parts = folder ? folder.split('/') : [];
  const nav = h('nav', {'aria-label': 'Breadcrumb', class: 'crumbs'}, parts.length ? h('a', {href: '#/files'}, 'Files') : 'Files');
  parts.forEach((part, index) => {
    const path = parts.slice(0, index + 1).join('/');
    nav.append(' › ', index === parts.length - 1 ? part : h('a', {href: folderHash(path)}, part));
  });
  return nav;
}
