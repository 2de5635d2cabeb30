// `@` completion for a message field: typing `@` and a few letters offers the conversation's
// members (and `@everyone` where the role may use it); picking one writes `@Name ` and
// remembers who it was, so the send carries their id in `mentions`.

import { el } from './dom.js';

const EVERYONE = '*everyone';

export class MentionCompleter {
  /** candidates(): [{ id, name }] of the open conversation, the user excluded; everyone(): may use @everyone. */
  constructor({ input, candidates, everyone, testid = 'mention-suggestions' }) {
    this.input = input;
    this.candidates = candidates;
    this.everyone = everyone;
    this.picked = new Map(); // name → id
    this.items = [];
    this.active = 0;
    this.box = el('ul', { class: 'mention-suggestions hidden', role: 'listbox', 'data-testid': testid });
    input.parentElement.append(this.box);
    input.addEventListener('input', () => this.update());
    input.addEventListener('blur', () => setTimeout(() => this.close(), 150));
    // Capture: runs before the field's own Enter-sends handler, so Enter picks while the list is open.
    input.addEventListener('keydown', (event) => this.key(event), { capture: true });
  }

  /** The `@query` just before the caret, or null. */
  query() {
    const before = this.input.value.slice(0, this.input.selectionStart ?? this.input.value.length);
    const match = /(?:^|\s)@([^\s@]{0,30})$/u.exec(before);
    return match === null ? null : { text: match[1], start: before.length - match[1].length - 1 };
  }

  update() {
    const q = this.query();
    if (q === null) return this.close();
    const lower = q.text.toLowerCase();
    const people = this.candidates().filter((c) => c.name.toLowerCase().startsWith(lower) || c.name.toLowerCase().split(/\s+/).some((w) => w.startsWith(lower)));
    if (this.everyone() && 'everyone'.startsWith(lower)) people.push({ id: EVERYONE, name: 'everyone' });
    this.items = people.slice(0, 6);
    this.active = 0;
    this.draw();
  }

  draw() {
    this.box.classList.toggle('hidden', this.items.length === 0);
    this.box.replaceChildren(
      ...this.items.map((c, i) =>
        el('li', {
          role: 'option',
          class: i === this.active ? 'active' : '',
          'aria-selected': i === this.active ? 'true' : 'false',
          text: `@${c.name}`,
          'data-testid': 'mention-suggestion',
          onmousedown: (event) => {
            event.preventDefault();
            this.pick(c);
          },
        }),
      ),
    );
  }

  key(event) {
    if (this.items.length === 0 || this.box.classList.contains('hidden')) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      this.active = (this.active + (event.key === 'ArrowDown' ? 1 : this.items.length - 1)) % this.items.length;
      this.draw();
    } else if (event.key === 'Enter' || event.key === 'Tab') this.pick(this.items[this.active]);
    else if (event.key === 'Escape') this.close();
    else return;
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  pick(candidate) {
    const q = this.query();
    if (q === null) return this.close();
    const value = this.input.value;
    const caret = q.start + 1 + q.text.length;
    const inserted = `@${candidate.name} `;
    this.input.value = value.slice(0, q.start) + inserted + value.slice(caret);
    const at = q.start + inserted.length;
    this.input.setSelectionRange(at, at);
    this.picked.set(candidate.name, candidate.id);
    this.close();
    this.input.dispatchEvent(new Event('input'));
  }

  close() {
    this.items = [];
    this.box.classList.add('hidden');
    this.box.replaceChildren();
  }

  /** What a send of `text` mentions: the picked names still in it. */
  mentionsIn(text) {
    const mentions = [];
    let mentionEveryone = false;
    for (const [name, id] of this.picked) {
      if (!text.includes(`@${name}`)) continue;
      if (id === EVERYONE) mentionEveryone = true;
      else if (!mentions.includes(id)) mentions.push(id);
    }
    return { ...(mentions.length > 0 ? { mentions } : {}), ...(mentionEveryone ? { mentionEveryone } : {}) };
  }

  reset() {
    this.picked.clear();
    this.close();
  }
}
