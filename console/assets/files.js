// Downloads of the environment's files: a link asks the files API (with the API key, which a plain link cannot
// send) for a short-lived presigned URL and opens it; the file's bytes come straight from the file store.

import {ApiError, request} from './api.js';
import {announce, h} from './dom.js';

/** Ask the files API for `href`'s presigned URL and open it (the browser saves the file under its name). */
export async function openDownload(href) {
  try {
    const answer = await request('GET', href);
    window.location.assign(answer.url);
  } catch (error) {
    announce(error instanceof ApiError && error.status === 404
      ? 'This file is no longer there (an import removes its input from Uploads; the archived copy stays).'
      : error.message, {kind: 'error'});
  }
}

/** A download link for a file the API listed (`{key, href}`); `text` defaults to the key's last segment. */
export function downloadLink(file, {text} = {}) {
  const name = file.key.split('/').pop();
  return h('a', {href: file.href, class: 'file-link', download: name, dataset: {key: file.key},
    onclick: (event) => {
      event.preventDefault();
      openDownload(file.href);
    }}, text || name);
}
