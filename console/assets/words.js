// How things read for a PIM administrator: task types, frequencies in words, run statuses, dates.

const TYPE_LABELS = {
  import: 'Import',
  import_etim: 'Import ETIM',
  export: 'Export',
  feed: 'Feed',
  magento: 'Magento',
  import_2ba: 'Import 2BA',
  import_artconnect_invoices: 'Import Art-Connect invoices',
  export_artconnect: 'Export Art-Connect',
  export_artconnect_users: 'Export Art-Connect Users',
  export_artikelbeheer: 'Export Artikelbeheer.nl',
};

const WORD_FIXES = {
  api: 'API', url: 'URL', id: 'ID', ftps: 'FTPS', sftp: 'SFTP', https: 'HTTPS', gln: 'GLN', glns: 'GLNs', etim: 'ETIM',
  csv: 'CSV', xlsx: 'XLSX', json: 'JSON', xml: 'XML', '2ba': '2BA', uri: 'URI', xchange: 'xChange', bmecat: 'BMEcat',
};

/** 'client_id' or 'Client Id' -> 'Client ID'; 'import_2ba' -> 'Import 2BA' (sentence case, known acronyms). */
export function humanize(text) {
  const words = String(text).replace(/_/g, ' ').trim().split(/\s+/);
  return words.map((word, index) => {
    const fixed = WORD_FIXES[word.toLowerCase()];
    if (fixed) return fixed;
    return index === 0 ? word.charAt(0).toUpperCase() + word.slice(1).toLowerCase() : word.toLowerCase();
  }).join(' ');
}

/** The manual's name of a task type; a type the console does not know yet still reads well. */
export function typeLabel(type) {
  return TYPE_LABELS[type] || humanize(type);
}

const DAY_NAMES = {MON: 'Monday', TUE: 'Tuesday', WED: 'Wednesday', THU: 'Thursday', FRI: 'Friday',
  SAT: 'Saturday', SUN: 'Sunday'};
const DAY_ORDER = Object.keys(DAY_NAMES);

function list(items) {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function ordinal(n) {
  const rest = n % 100;
  if (rest >= 11 && rest <= 13) return `${n}th`;
  return `${n}${{1: 'st', 2: 'nd', 3: 'rd'}[n % 10] || 'th'}`;
}

function weekdays(days) {
  const sorted = DAY_ORDER.filter((day) => days.includes(day));
  const key = sorted.join(',');
  if (key === DAY_ORDER.join(',')) return 'Every day';
  if (key === 'MON,TUE,WED,THU,FRI') return 'Weekdays';
  if (key === 'SAT,SUN') return 'Weekends';
  return list(sorted.map((day) => `${DAY_NAMES[day]}s`));
}

/** A frequency in words: {every: 'week', days: ['MON'], time: '12:53', ...} -> 'Mondays at 12:53, Europe/Amsterdam'. */
export function frequencyInWords(frequency) {
  if (!frequency || typeof frequency !== 'object') return '';
  const zone = frequency.timezone ? `, ${frequency.timezone}` : '';
  switch (frequency.every) {
    case 'once':
      return `Once, on ${formatDate(frequency.date)} at ${frequency.time}${zone}`;
    case 'minutes':
      return `Every ${frequency.interval} minutes`;
    case 'hour':
      return `Every hour at ${String(frequency.minute).padStart(2, '0')} past${zone}`;
    case 'day':
      return `Daily at ${frequency.time}${zone}`;
    case 'week':
      return `${weekdays(frequency.days || [])} at ${frequency.time}${zone}`;
    case 'month':
      return frequency.day_of_month === 'last'
        ? `On the last day of the month at ${frequency.time}${zone}`
        : `On the ${ordinal(Number(frequency.day_of_month))} of the month at ${frequency.time}${zone}`;
    default: {
      const {every, ...rest} = frequency;
      return `${humanize(String(every || 'custom'))}: ${Object.entries(rest).map(([k, v]) => `${k} ${v}`).join(', ')}`;
    }
  }
}

const LOCALE = 'en-GB'; // 24-hour clock and day-month order, as the manual writes 12:53

/** '2026-12-01' -> '1 Dec 2026'. */
export function formatDate(isoDate) {
  if (!isoDate) return '';
  const [year, month, day] = String(isoDate).split('-').map(Number);
  return new Intl.DateTimeFormat(LOCALE, {day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC'})
    .format(new Date(Date.UTC(year, month - 1, day)));
}

/** An ISO timestamp as 'Mon 30 Nov 2026, 12:53' in `timeZone` (the task's zone, else the browser's). */
export function formatDateTime(iso, {timeZone, seconds = false} = {}) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const options = {weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit',
    minute: '2-digit', hourCycle: 'h23'};
  if (seconds) options.second = '2-digit';
  try {
    return new Intl.DateTimeFormat(LOCALE, {...options, timeZone}).format(date);
  } catch {
    return new Intl.DateTimeFormat(LOCALE, options).format(date);
  }
}

/** '3 min ago' / 'in 2 days' relative to now. */
export function relative(iso, now = Date.now()) {
  if (!iso) return '';
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const format = new Intl.RelativeTimeFormat(LOCALE, {numeric: 'auto'});
  const units = [['day', 86400], ['hour', 3600], ['minute', 60]];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return format.format(seconds, 'second');
}

/** Duration between two ISO timestamps: '2 min 5 s'. */
export function duration(startIso, endIso) {
  if (!startIso) return '';
  const end = endIso ? new Date(endIso) : new Date();
  let seconds = Math.max(0, Math.round((end - new Date(startIso)) / 1000));
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  return [hours && `${hours} h`, minutes && `${minutes} min`, `${seconds} s`].filter(Boolean).join(' ');
}

const STATUS_LABELS = {queued: 'Queued', running: 'Running', succeeded: 'Succeeded',
  partially_succeeded: 'Partially succeeded', failed: 'Failed', cancelled: 'Cancelled', skipped: 'Skipped'};

export function statusLabel(status) {
  return STATUS_LABELS[status] || humanize(status || '');
}

export const ACTIVE_STATUSES = new Set(['queued', 'running']);

const NUMBER = new Intl.NumberFormat(LOCALE);
export function formatNumber(value) {
  return NUMBER.format(value || 0);
}

const FILE_ROLES = {input: 'Input file', archived: 'Archived copy', failed: 'Failed file',
  rejected_rows: 'Rejected rows', report: 'Report', output: 'Export output'};

export function fileRoleLabel(role) {
  return FILE_ROLES[role] || humanize(role);
}

const FOLDERS = {
  Uploads: 'Files waiting to be imported, a folder per import',
  Archived: 'Imported files (Archived = yes), per import, year, month and run',
  Failed: 'Files that failed as a whole, with their reports',
  Reports: 'Report and rejected rows of each imported file, per import and run',
  Downloads: 'Export files, a folder per export',
  Attachments: 'Product attachments (images, data sheets)',
  Invoices: 'Invoices fetched from Art-Connect',
  Feeds: 'The versions each feed run built, a folder per feed',
};

export function folderDescription(folder) {
  return FOLDERS[folder] || '';
}

const BYTES = new Intl.NumberFormat(LOCALE, {maximumFractionDigits: 1});
/** 1536 -> "1.5 KB" (1,024 bytes a KB, as file managers count). */
export function formatBytes(size) {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = Number(size) || 0;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit ? BYTES.format(value) : NUMBER.format(value)} ${units[unit]}`;
}
