// Small DOM helpers: elements built in code (no HTML strings, so nothing from the API is ever parsed as markup).

/**
 * h('button', {class: 'primary', onclick: fn}, 'Save') -> <button class="primary">Save</button>.
 * Attributes starting with "on" become listeners; `null`, `undefined` and `false` attributes are left out;
 * children may be strings, numbers, nodes, arrays or null.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'class') {
      element.className = value;
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (name in element && typeof value !== 'string' && name !== 'list' && name !== 'form') {
      element[name] = value; // properties such as checked, value, disabled, max
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

/** Append children (strings, nodes, arrays; null, undefined and false are skipped) and return the parent. */
export function append(parent, ...children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function clear(element) {
  while (element.firstChild) element.firstChild.remove();
  return element;
}

let counter = 0;
/** A document-unique id for label/aria wiring. */
export function uid(prefix = 'id') {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** Announce `text` to screen readers (and show it) in the page's status region. */
export function announce(text, {kind = 'info'} = {}) {
  const region = document.getElementById('status');
  if (!region) return;
  clear(region);
  region.dataset.kind = kind;
  if (text) region.append(h('p', {}, text));
}

/** A modal confirmation (<dialog>): resolves true when the user confirms. Focus returns where it was. */
export function confirmDialog({title, text, confirm = 'Delete', danger = true}) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const headingId = uid('dialog-title');
    const dialog = h('dialog', {class: 'dialog', 'aria-labelledby': headingId},
      h('h2', {id: headingId}, title),
      h('p', {}, text),
      h('form', {method: 'dialog', class: 'actions'},
        h('button', {value: 'cancel', class: 'secondary', autofocus: true}, 'Cancel'),
        h('button', {value: 'confirm', class: danger ? 'danger' : 'primary'}, confirm)));
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm');
      dialog.remove();
      if (opener && document.contains(opener)) opener.focus();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
