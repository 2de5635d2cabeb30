import { initialState, type ParleyState } from './types.js';

/**
 * The state a UI renders: replaced, never mutated, on every change, with untouched parts
 * shared — so `getState()` snapshots work with React's `useSyncExternalStore` and a plain
 * `===` tells what changed.
 */
export class Store {
  private state: ParleyState = initialState;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  getState = (): ParleyState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  /** Applies `change`; listeners hear of it only when something changed. */
  update(change: (state: ParleyState) => ParleyState): void {
    const next = change(this.state);
    if (next === this.state) return;
    this.state = next;
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}
