// A binary min-heap of items by due time: with jitter and spikes packets leave a wire in a different order than they
// entered, so a FIFO no longer works. Equal due times leave in insertion order, so a packet scheduled to follow
// another at the same instant really does follow it.

interface Entry<T> {
  due: number;
  /** Insertion counter: the tie-break that keeps equal due times first in, first out. */
  order: number;
  item: T;
}

export class DueQueue<T> {
  private readonly heap: Entry<T>[] = [];
  private inserted = 0;

  get size(): number {
    return this.heap.length;
  }

  /** The earliest due time, or undefined when empty. */
  peekDue(): number | undefined {
    return this.heap[0]?.due;
  }

  push(due: number, item: T): void {
    this.heap.push({ due, order: this.inserted++, item });
    this.siftUp(this.heap.length - 1);
  }

  /** Removes and returns the earliest item if it is due at `now`; undefined otherwise. */
  popDue(now: number): T | undefined {
    const top = this.heap[0];
    if (!top || top.due > now) return undefined;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    return top.item;
  }

  private before(a: number, b: number): boolean {
    const x = this.heap[a]!;
    const y = this.heap[b]!;
    return x.due < y.due || (x.due === y.due && x.order < y.order);
  }

  private swap(a: number, b: number): void {
    [this.heap[a], this.heap[b]] = [this.heap[b]!, this.heap[a]!];
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let first = i;
      if (left < this.heap.length && this.before(left, first)) first = left;
      if (right < this.heap.length && this.before(right, first)) first = right;
      if (first === i) return;
      this.swap(i, first);
      i = first;
    }
  }
}
