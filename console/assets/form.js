// Forms built from JSON schemas (the settings models of the API's OpenAPI document), so every task type,
// present and future, is editable: objects, discriminated unions, nullable values, enums, arrays of strings and of
// objects, key/value maps, booleans, numbers with bounds, patterns, defaults, descriptions as help text and
// credential fields (x-secret-ref) picked from the environment's secret names.
//
// A field is {element, path, get(), validate(problems), showError(text), focus()}; get() returns undefined for
// "leave it to the API's default". Field paths are the API's error paths (settings.layout.columns.0.field).

import {h, uid} from './dom.js';
import {humanize} from './words.js';

const HH_MM = '^([01][0-9]|2[0-3]):[0-5][0-9]$';
const SECRET_MARK = 'x-secret-ref';
const DISCRIMINATOR_LABELS = {once: 'Once', minutes: 'Every N minutes', hour: 'Hourly', day: 'Daily',
  week: 'Weekly', month: 'Monthly'};
let timeZones = null;

/** A form context: the schema document, the environment's secret names, and every field by path. */
export class FormContext {
  constructor({api, secrets = [], order = []}) {
    this.api = api;
    this.secrets = secrets;
    this.order = order; // property names shown first, in this order (the common settings)
    this.fields = new Map();
  }

  register(field) {
    this.fields.set(field.path, field);
    return field;
  }

  /** Show the API's (or our own) field errors next to their fields; returns the ones no field took. */
  showErrors(errors) {
    for (const field of this.fields.values()) field.showError(null);
    const unplaced = [];
    let first = null;
    for (const error of errors) {
      const field = this.fieldFor(error.field || '');
      if (field) {
        field.showError(error.message);
        first = first || field;
      } else {
        unplaced.push(error);
      }
    }
    return {unplaced, first};
  }

  /** The field of `path`, or of the nearest enclosing path that has one (settings.glns.3 -> settings.glns). */
  fieldFor(path) {
    const parts = String(path).split('.');
    while (parts.length) {
      const field = this.fields.get(parts.join('.'));
      if (field) return field;
      parts.pop();
    }
    return null;
  }
}

function labelOf(schema, name) {
  return humanize(schema.title && !/^[A-Z][a-zA-Z0-9]+$/.test(schema.title) ? schema.title : name || schema.title || '');
}

function isNull(schema) {
  return schema.type === 'null';
}

function present(value) {
  return value !== undefined && value !== null && value !== '';
}

/** The shell every simple field has: label, control, help text, error text, all wired for screen readers. */
function shell({label, help, required, control, path, inline = false, extra = null}) {
  const helpId = help ? uid('help') : null;
  const errorId = uid('error');
  control.setAttribute('aria-describedby', [helpId, errorId].filter(Boolean).join(' '));
  const error = h('p', {class: 'field-error', id: errorId, hidden: true});
  const labelNode = h('label', {for: control.id}, label, required ? h('span', {class: 'required'}, ' (required)') : null);
  const element = h('div', {class: `field${inline ? ' inline' : ''}`, dataset: {path}},
    inline ? [control, labelNode] : [labelNode, control],
    extra,
    help ? h('p', {class: 'help', id: helpId}, help) : null,
    error);
  return {
    element,
    showError(text) {
      error.hidden = !text;
      error.textContent = text || '';
      if (text) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
      element.classList.toggle('invalid', Boolean(text));
    },
  };
}

/** A group (fieldset with legend) that shows its own error above its members. */
function group({label, help, required, path, className = 'group'}) {
  const errorId = uid('error');
  const helpId = help ? uid('help') : null;
  const error = h('p', {class: 'field-error', id: errorId, hidden: true});
  const body = h('div', {class: 'group-body'});
  const element = h('fieldset', {class: className, dataset: {path},
    'aria-describedby': [helpId, errorId].filter(Boolean).join(' ')},
  h('legend', {}, label, required ? h('span', {class: 'required'}, ' (required)') : null),
  help ? h('p', {class: 'help', id: helpId}, help) : null,
  error, body);
  return {
    element,
    body,
    showError(text) {
      error.hidden = !text;
      error.textContent = text || '';
      element.classList.toggle('invalid', Boolean(text));
    },
  };
}

/**
 * The field for `schema` at `path`. `name` is the property name, `required` whether the parent requires it,
 * `value` the current value (undefined: use the schema's default).
 */
export function buildField(context, {schema: raw, path, name, required = false, value}) {
  const schema = context.api.resolve(raw);
  const label = labelOf(schema, name);
  const help = (schema.description || '').replace(/``(.+?)``/g, '“$1”');
  const initial = value !== undefined ? value : schema.default;
  const union = schema.oneOf || schema.anyOf;
  const args = {context, schema, path, name, required, value: initial, label, help};
  if (schema[SECRET_MARK]) return context.register(secretField(args));
  if (union) {
    const options = union.map((option) => context.api.resolve(option));
    const concrete = options.filter((option) => !isNull(option));
    if (concrete.length === 1) {
      const inner = {...concrete[0], title: schema.title || concrete[0].title,
        description: schema.description || concrete[0].description};
      if (!inner.default && schema.default !== undefined) inner.default = schema.default;
      return nullableField(context, {schema: inner, path, name, required, value: initial, label});
    }
    if (schema.discriminator) return context.register(discriminatedField(args, union));
    if (concrete.every((option) => ['string', 'integer', 'number'].includes(option.type) || option.const)) {
      return context.register(primitiveUnionField(args, concrete));
    }
    return context.register(jsonField(args));
  }
  if (schema.const !== undefined) return constField({path, value: schema.const});
  if (schema.enum) return context.register(enumField(args));
  switch (schema.type) {
    case 'boolean': return context.register(booleanField(args));
    case 'integer':
    case 'number': return context.register(numberField(args));
    case 'string': return context.register(stringField(args));
    case 'array': return context.register(arrayField(args));
    case 'object': return context.register(objectField(args));
    default: return context.register(jsonField(args));
  }
}

/** Drop the fields at `path` and below (their elements are about to be replaced). */
function forget(context, path) {
  for (const key of [...context.fields.keys()]) {
    if (key === path || key.startsWith(path.endsWith('.') ? path : `${path}.`)) context.fields.delete(key);
  }
}

function constField({path, value}) {
  return {element: null, path, get: () => value, validate() {}, showError() {}, focus() {}};
}

function requiredProblem(field, problems, required, filled) {
  if (required && !filled) problems.push({field: field.path, message: 'Required'});
}

function stringField({context, schema, path, name, required, value, label, help}) {
  const id = uid('f');
  let type = 'text';
  if (schema.format === 'uri') type = 'url';
  else if (schema.format === 'date') type = 'date';
  else if (schema.format === 'email') type = 'email';
  const clock = schema.pattern === HH_MM; // a text box, not type=time: that shows 12:53 PM in some locales
  const placeholder = clock ? 'HH:MM' : (schema.examples?.length ? `e.g. ${schema.examples[0]}` : null);
  const input = h('input', {id, type, name: path, value: present(value) ? String(value) : '',
    maxlength: clock ? 5 : schema.maxLength, inputmode: clock ? 'numeric' : null, class: clock ? 'clock' : null,
    placeholder: type === 'text' || type === 'url' ? placeholder : null,
    autocomplete: 'off', spellcheck: type === 'text' ? 'false' : null, required: required || null});
  let extra = null;
  if (name === 'timezone') {
    const listId = uid('zones');
    input.setAttribute('list', listId);
    extra = h('datalist', {id: listId}, zones().map((zone) => h('option', {value: zone})));
  }
  const parts = shell({label, help, required, control: input, path, extra});
  return {
    ...parts, path,
    get: () => (input.value === '' ? undefined : input.value),
    validate(problems) {
      requiredProblem(this, problems, required, input.value !== '');
      if (input.value === '') return;
      if (schema.minLength && input.value.length < schema.minLength) {
        problems.push({field: path, message: `At least ${schema.minLength} characters`});
      } else if (schema.pattern && !matches(schema.pattern, input.value)) {
        problems.push({field: path, message: clock ? 'A time as HH:MM, e.g. 12:53' : `Not a valid ${label.toLowerCase()}`});
      }
    },
    focus: () => input.focus(),
  };
}

function matches(pattern, text) {
  try {
    return new RegExp(pattern, 'u').test(text);
  } catch {
    return true; // a pattern JavaScript cannot read is left to the API
  }
}

function zones() {
  if (timeZones === null) {
    timeZones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  }
  return timeZones;
}

function numberField({schema, path, required, value, label, help}) {
  const id = uid('f');
  const input = h('input', {id, type: 'number', name: path, inputmode: schema.type === 'integer' ? 'numeric' : 'decimal',
    step: schema.type === 'integer' ? '1' : 'any', min: schema.minimum ?? null, max: schema.maximum ?? null,
    value: present(value) ? String(value) : '', required: required || null});
  const parts = shell({label, help, required, control: input, path});
  return {
    ...parts, path,
    get: () => (input.value === '' ? undefined : Number(input.value)),
    validate(problems) {
      requiredProblem(this, problems, required, input.value !== '');
      if (input.value === '') return;
      const number = Number(input.value);
      if (Number.isNaN(number) || (schema.type === 'integer' && !Number.isInteger(number))) {
        problems.push({field: path, message: schema.type === 'integer' ? 'A whole number' : 'A number'});
      } else if (schema.minimum !== undefined && number < schema.minimum) {
        problems.push({field: path, message: `At least ${schema.minimum}`});
      } else if (schema.maximum !== undefined && number > schema.maximum) {
        problems.push({field: path, message: `At most ${schema.maximum}`});
      }
    },
    focus: () => input.focus(),
  };
}

function booleanField({path, value, label, help}) {
  const id = uid('f');
  const input = h('input', {id, type: 'checkbox', name: path, checked: Boolean(value)});
  const parts = shell({label, help, required: false, control: input, path, inline: true});
  return {...parts, path, get: () => input.checked, validate() {}, focus: () => input.focus()};
}

function enumField({schema, path, required, value, label, help}) {
  const id = uid('f');
  const hasDefault = schema.default !== undefined;
  const select = h('select', {id, name: path, required: required || null},
    !required && !hasDefault ? h('option', {value: ''}, '—') : null,
    schema.enum.map((option) => h('option', {value: String(option), selected: option === value}, humanize(String(option)))));
  const parts = shell({label, help, required, control: select, path});
  return {
    ...parts, path,
    get: () => (select.value === '' ? undefined : schema.enum.find((option) => String(option) === select.value)),
    validate(problems) { requiredProblem(this, problems, required, select.value !== ''); },
    focus: () => select.focus(),
  };
}

function secretField({context, path, required, value, label, help}) {
  const id = uid('f');
  const names = [...context.secrets];
  const select = h('select', {id, name: path, required: required || null, dataset: {secretRef: 'true'}},
    h('option', {value: ''}, '— choose a secret —'),
    names.map((secret) => h('option', {value: secret, selected: secret === value}, secret)),
    present(value) && !names.includes(value)
      ? h('option', {value: '', selected: true, disabled: true}, `${value} (no such secret: choose one)`)
      : null);
  const text = `${help ? `${help} ` : ''}The name of one of this environment's secrets; the value stays hidden.`;
  const extra = h('a', {href: '#/secrets', class: 'small-link'}, 'Manage secrets');
  const parts = shell({label, help: text, required, control: select, path, extra});
  return {
    ...parts, path,
    get: () => (select.value === '' ? undefined : select.value),
    validate(problems) { requiredProblem(this, problems, required, select.value !== ''); },
    focus: () => select.focus(),
  };
}

function primitiveUnionField({schema, path, required, value, label, help}, options) {
  const id = uid('f');
  const listId = uid('choices');
  const consts = options.filter((option) => option.const !== undefined).map((option) => String(option.const));
  const input = h('input', {id, type: 'text', name: path, list: consts.length ? listId : null,
    value: present(value) ? String(value) : '', autocomplete: 'off', required: required || null});
  const extra = consts.length ? h('datalist', {id: listId}, consts.map((c) => h('option', {value: c}))) : null;
  const parts = shell({label, help: help || `e.g. ${consts.join(', ')}`, required, control: input, path, extra});
  const coerce = (text) => {
    if (text === '') return undefined;
    if (consts.includes(text)) return options.find((option) => String(option.const) === text).const;
    if (options.some((option) => option.type === 'integer') && /^-?\d+$/.test(text)) return Number(text);
    if (options.some((option) => option.type === 'number') && text.trim() !== '' && !Number.isNaN(Number(text))) {
      return Number(text);
    }
    return text;
  };
  return {
    ...parts, path,
    get: () => coerce(input.value.trim()),
    validate(problems) { requiredProblem(this, problems, required, input.value.trim() !== ''); },
    focus: () => input.focus(),
  };
}

function jsonField({path, required, value, label, help}) {
  const id = uid('f');
  const area = h('textarea', {id, name: path, rows: 4, spellcheck: 'false', class: 'code'},
    value === undefined ? '' : JSON.stringify(value, null, 2));
  const parts = shell({label, help: `${help ? `${help} ` : ''}(JSON)`, required, control: area, path});
  return {
    ...parts, path,
    get() {
      if (area.value.trim() === '') return undefined;
      try { return JSON.parse(area.value); } catch { return area.value; }
    },
    validate(problems) {
      requiredProblem(this, problems, required, area.value.trim() !== '');
      if (area.value.trim() === '') return;
      try { JSON.parse(area.value); } catch { problems.push({field: path, message: 'Not valid JSON'}); }
    },
    focus: () => area.focus(),
  };
}

/** A value that may be null: the inner field; empty means null (or, for an object, unchecked "Set ..."). */
function nullableField(context, {schema, path, name, required, value, label}) {
  const inner = context.api.resolve(schema);
  if (inner.type === 'object' || inner.oneOf || inner.anyOf) {
    const outer = group({label, help: inner.description, required: false, path, className: 'group nullable'});
    const id = uid('f');
    const toggle = h('input', {id, type: 'checkbox', checked: present(value)});
    outer.body.append(h('div', {class: 'field inline'}, toggle, h('label', {for: id}, `Set ${label.toLowerCase()}`)));
    const slot = h('div', {class: 'nullable-body'});
    outer.body.append(slot);
    let field = null;
    const wrapper = {
      element: outer.element, path,
      get: () => (field ? field.get() : null),
      validate(problems) { if (field) field.validate(problems); },
      showError: outer.showError,
      focus: () => toggle.focus(),
    };
    const show = () => {
      forget(context, path);
      slot.replaceChildren();
      field = null;
      if (toggle.checked) {
        field = buildField(context, {schema: {...inner, description: undefined}, path, name, required: true,
          value: present(value) ? value : undefined});
        if (field.element) {
          field.element.classList.add('bare');
          slot.append(field.element);
        }
      }
      context.fields.set(path, wrapper); // errors on the value as a whole show on the outer group
    };
    toggle.addEventListener('change', show);
    show();
    return wrapper;
  }
  const field = buildField(context, {schema: inner, path, name, required, value: value === null ? undefined : value});
  const get = field.get.bind(field);
  field.get = () => {
    const current = get();
    return current === undefined ? (required ? undefined : null) : current;
  };
  return field;
}

function discriminatedField({context, schema, path, required, value, label, help}, options) {
  const property = schema.discriminator.propertyName;
  const mapping = schema.discriminator.mapping || {};
  const variants = Object.entries(mapping).map(([tag, ref]) => ({tag, schema: context.api.resolve({$ref: ref})}));
  if (!variants.length) {
    for (const option of options) {
      const resolved = context.api.resolve(option);
      const tag = context.api.resolve(resolved.properties?.[property]).const;
      if (tag) variants.push({tag, schema: resolved});
    }
  }
  const outer = group({label, help, required, path});
  const id = uid('f');
  const current = value?.[property] || variants[0]?.tag;
  const select = h('select', {id, name: `${path}.${property}`},
    variants.map((variant) => h('option', {value: variant.tag, selected: variant.tag === current},
      DISCRIMINATOR_LABELS[variant.tag] || humanize(variant.tag))));
  const hint = h('p', {class: 'help'});
  outer.body.append(h('div', {class: 'field'}, h('label', {for: id}, humanize(property)), select, hint));
  const slot = h('div', {class: 'variant'});
  outer.body.append(slot);
  let members = [];
  const render = (keep) => {
    const variant = variants.find((v) => v.tag === select.value);
    hint.textContent = variant?.schema.description || '';
    for (const member of members) context.fields.delete(member.path);
    members = [];
    slot.replaceChildren();
    if (!variant) return;
    const requiredNames = variant.schema.required || [];
    for (const [name, member] of Object.entries(variant.schema.properties || {})) {
      if (name === property) continue;
      const field = buildField(context, {schema: member, path: `${path}.${name}`, name,
        required: requiredNames.includes(name), value: keep?.[name]});
      members.push(field);
      if (field.element) slot.append(field.element);
    }
  };
  select.addEventListener('change', () => {
    const keep = {};
    for (const member of members) keep[member.path.split('.').pop()] = member.get();
    render(keep);
  });
  render(value || {});
  return {
    element: outer.element, path,
    get() {
      const result = {[property]: select.value};
      for (const member of members) {
        const memberValue = member.get();
        if (memberValue !== undefined) result[member.path.split('.').pop()] = memberValue;
      }
      return result;
    },
    validate(problems) { for (const member of members) member.validate(problems); },
    showError: outer.showError,
    focus: () => select.focus(),
  };
}

function arrayField(args) {
  const {context, schema} = args;
  const items = context.api.resolve(schema.items || {});
  if (items.enum) return checkboxArray(args, items);
  if (items.type === 'object' && items.properties) return objectArray(args, items);
  if (['string', 'integer', 'number'].includes(items.type)) return lineArray(args, items);
  return jsonField(args);
}

function countProblems(field, problems, {required, count, schema}) {
  if (required && !count && (schema.minItems || 0) > 0) problems.push({field: field.path, message: 'Required'});
  else if (count && schema.minItems && count < schema.minItems) {
    problems.push({field: field.path, message: `At least ${schema.minItems}`});
  } else if (schema.maxItems && count > schema.maxItems) {
    problems.push({field: field.path, message: `At most ${schema.maxItems}`});
  }
}

function checkboxArray({schema, path, required, value, label, help}, items) {
  const outer = group({label, help, required, path, className: 'group choices'});
  const chosen = new Set(Array.isArray(value) ? value : []);
  const boxes = items.enum.map((option) => {
    const id = uid('f');
    const box = h('input', {id, type: 'checkbox', name: path, value: String(option), checked: chosen.has(option)});
    outer.body.append(h('span', {class: 'choice'}, box, h('label', {for: id}, humanize(String(option)))));
    return box;
  });
  return {
    element: outer.element, path,
    get() {
      const picked = items.enum.filter((option, index) => boxes[index].checked);
      return picked.length || required ? picked : undefined;
    },
    validate(problems) { countProblems(this, problems, {required, count: boxes.filter((b) => b.checked).length, schema}); },
    showError: outer.showError,
    focus: () => boxes[0]?.focus(),
  };
}

function lineArray({schema, path, required, value, label, help}, items) {
  const id = uid('f');
  const lines = Array.isArray(value) ? value.map(String) : [];
  const area = h('textarea', {id, name: path, rows: Math.min(8, Math.max(2, lines.length + 1)), spellcheck: 'false'},
    lines.join('\n'));
  const example = items.pattern ? '' : (schema.examples?.[0] || []).join(', ');
  const text = [help || items.description, 'One per line.', example ? `e.g. ${example}` : ''].filter(Boolean).join(' ');
  const parts = shell({label, help: text, required, control: area, path});
  const values = () => area.value.split(/\r?\n/).map((line) => line.trim()).filter(Boolean)
    .map((line) => (items.type === 'string' ? line : Number(line)));
  return {
    ...parts, path,
    get() {
      const list = values();
      return list.length || required ? list : undefined; // none: the API's default
    },
    validate(problems) {
      const list = values();
      countProblems(this, problems, {required, count: list.length, schema});
      const bad = list.find((item) => (items.pattern && !matches(items.pattern, String(item)))
        || (items.type !== 'string' && Number.isNaN(item)));
      if (bad !== undefined) problems.push({field: path, message: `Not valid: ${bad}`});
    },
    focus: () => area.focus(),
  };
}

function singular(label) {
  const lower = label.toLowerCase();
  return lower.endsWith('s') ? lower.slice(0, -1) : lower;
}

function objectArray({context, schema, path, required, value, label, help}, items) {
  const outer = group({label, help, required, path, className: 'group rows'});
  const list = h('ol', {class: 'item-list'});
  const noun = singular(label);
  const add = h('button', {type: 'button', class: 'secondary small'}, `Add ${noun}`);
  outer.body.append(list, add);
  let rows = [];
  let data = Array.isArray(value) ? value.map((item) => ({...item})) : [];

  const collect = () => rows.map((row) => row.get());
  const render = (focusIndex = null) => {
    forget(context, `${path}.`);
    rows = [];
    list.replaceChildren();
    data.forEach((item, index) => {
      // the list is what is required, not each entry: no "(required)" on every legend
      const field = buildField(context, {schema: items, path: `${path}.${index}`, name: `${noun} ${index + 1}`,
        value: item});
      const move = (offset) => {
        data = collect();
        const [moved] = data.splice(index, 1);
        data.splice(index + offset, 0, moved);
        render(index + offset);
      };
      const tools = h('div', {class: 'row-tools'},
        h('button', {type: 'button', class: 'secondary small', disabled: index === 0, onclick: () => move(-1),
          'aria-label': `Move ${noun} ${index + 1} up`}, '↑'),
        h('button', {type: 'button', class: 'secondary small', disabled: index === data.length - 1,
          onclick: () => move(1), 'aria-label': `Move ${noun} ${index + 1} down`}, '↓'),
        h('button', {type: 'button', class: 'secondary small', 'aria-label': `Remove ${noun} ${index + 1}`,
          onclick: () => { data = collect(); data.splice(index, 1); render(Math.min(index, data.length - 1)); }},
        'Remove'));
      field.element.classList.add('item');
      const entry = h('li', {}, field.element, tools);
      list.append(entry);
      rows.push({...field, index});
    });
    if (focusIndex !== null && rows[focusIndex]) rows[focusIndex].focus();
  };
  add.addEventListener('click', () => {
    data = collect();
    data.push({});
    render(data.length - 1);
  });
  render();
  return {
    element: outer.element, path,
    get() {
      const result = collect();
      return result.length || required ? result : undefined;
    },
    validate(problems) {
      countProblems(this, problems, {required, count: rows.length, schema});
      for (const row of rows) row.validate(problems);
    },
    showError: outer.showError,
    focus: () => (rows[0] || {focus: () => add.focus()}).focus(),
  };
}

function objectField(args) {
  const {context, schema, path, required, value, label, help} = args;
  if (!schema.properties) {
    if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
      return mapField(args, context.api.resolve(schema.additionalProperties));
    }
    return jsonField(args);
  }
  const outer = group({label, help, required, path});
  const names = Object.keys(schema.properties);
  const ordered = [...context.order.filter((name) => names.includes(name)),
    ...names.filter((name) => !context.order.includes(name))];
  const requiredNames = schema.required || [];
  const members = ordered.map((name) => {
    const field = buildField(context, {schema: schema.properties[name], path: path ? `${path}.${name}` : name, name,
      required: requiredNames.includes(name), value: value?.[name]});
    if (field.element) outer.body.append(field.element);
    return [name, field];
  });
  return {
    element: outer.element, path, members: new Map(members),
    get() {
      const result = {};
      for (const [name, field] of members) {
        const memberValue = field.get();
        if (memberValue !== undefined) result[name] = memberValue;
      }
      return result;
    },
    validate(problems) { for (const [, field] of members) field.validate(problems); },
    showError: outer.showError,
    focus: () => members[0]?.[1].focus(),
  };
}

function mapField({schema, path, required, value, label, help}, valueSchema) {
  const outer = group({label, help, required, path, className: 'group map'});
  const list = h('div', {class: 'map-rows'});
  const add = h('button', {type: 'button', class: 'secondary small'}, 'Add entry');
  outer.body.append(list, add);
  const rows = [];
  const addRow = (key = '', entry = '', focus = false) => {
    const keyId = uid('f');
    const valueId = uid('f');
    const keyInput = h('input', {id: keyId, type: 'text', value: key, autocomplete: 'off'});
    const valueInput = h('input', {id: valueId, type: 'text', value: String(entry), autocomplete: 'off'});
    const row = h('div', {class: 'map-row'},
      h('label', {for: keyId, class: 'visually-hidden'}, `${label}: key`), keyInput,
      h('span', {'aria-hidden': 'true'}, '→'),
      h('label', {for: valueId, class: 'visually-hidden'}, `${label}: value`), valueInput,
      h('button', {type: 'button', class: 'secondary small', 'aria-label': `Remove entry ${key}`,
        onclick: () => { rows.splice(rows.indexOf(item), 1); row.remove(); add.focus(); }}, 'Remove'));
    const item = {keyInput, valueInput};
    rows.push(item);
    list.append(row);
    if (focus) keyInput.focus();
  };
  for (const [key, entry] of Object.entries(value || {})) addRow(key, entry);
  add.addEventListener('click', () => addRow('', '', true));
  return {
    element: outer.element, path,
    get() {
      const result = {};
      for (const {keyInput, valueInput} of rows) {
        if (keyInput.value.trim() === '') continue;
        result[keyInput.value.trim()] = valueSchema.type === 'integer' || valueSchema.type === 'number'
          ? Number(valueInput.value) : valueInput.value;
      }
      return Object.keys(result).length || required ? result : undefined;
    },
    validate() {},
    showError: outer.showError,
    focus: () => (rows[0]?.keyInput || add).focus(),
  };
}
