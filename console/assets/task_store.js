// The environment's tasks, loaded a page at a time (100 a request) and kept while the console is open, so the
// list shows the first page at once and sorts and filters every task once all pages are in.

import {envPath, request} from './api.js';

export class TaskStore {
  constructor(environment) {
    this.environment = environment;
    this.tasks = [];
    this.complete = false;
    this.error = null;
    this.listeners = new Set();
    this.loading = null;
  }

  /** `listener()` after every page and every change; returns the unsubscribe function. */
  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify() {
    for (const listener of this.listeners) listener();
  }

  /** Load (or reload) every page; resolves when the last page is in. */
  load({refresh = false} = {}) {
    if (this.loading && !refresh) return this.loading;
    const generation = Symbol('load');
    this.generation = generation;
    this.loading = (async () => {
      const loaded = [];
      let token = null;
      this.error = null;
      this.refreshing = refresh;
      if (!refresh) this.complete = false;
      try {
        do {
          const page = await request('GET', envPath('/tasks', this.environment), {query: {limit: 100, next_token: token}});
          if (this.generation !== generation) return this.tasks;
          loaded.push(...page.items);
          token = page.next_token || null;
          // a first load shows every page as it comes; a refresh keeps the old list until the new one is whole
          if (!refresh || !token) {
            this.tasks = [...loaded];
            this.complete = !token;
          }
          if (!token) this.refreshing = false;
          this.notify();
        } while (token);
      } catch (error) {
        this.error = error;
        this.refreshing = false;
        this.notify();
        throw error;
      }
      return this.tasks;
    })();
    return this.loading;
  }

  get(taskId) {
    return this.tasks.find((task) => task.task_id === taskId) || null;
  }

  /** Put a task as the API returned it (after a save, a start or a poll) into the list. */
  upsert(task) {
    const index = this.tasks.findIndex((known) => known.task_id === task.task_id);
    if (index >= 0) this.tasks[index] = task;
    else this.tasks.push(task);
    this.notify();
  }

  remove(taskId) {
    this.tasks = this.tasks.filter((task) => task.task_id !== taskId);
    this.notify();
  }

  /** The last run shown on a task, changed in place (a started or stopped run seen by the console). */
  setLastRun(taskId, run) {
    const task = this.get(taskId);
    if (!task) return;
    const {run_id: runId, status, trigger, started_at: startedAt, ended_at: endedAt, counts} = run;
    task.last_run = {run_id: runId, status, trigger, started_at: startedAt, ended_at: endedAt, counts};
    this.notify();
  }
}

export function taskStore(app) {
  const cache = app.taskCache();
  if (!cache.store) cache.store = new TaskStore(app.environment.environment);
  return cache.store;
}
