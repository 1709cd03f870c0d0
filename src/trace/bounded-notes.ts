// Notes of a run that outside answers can cause (one per unreadable answer, one per answer for another network):
// each said once, and at most `capacity` of them, so a resolver that answers garbage for every address of a long
// watch neither floods stderr nor grows the report. What was left out is counted in one last note.
export class BoundedNotes {
  private readonly kept = new Set<string>();
  private left = 0;

  constructor(
    readonly capacity: number,
    /** The last note's wording for `count` notes left out. */
    private readonly leftOut: (count: number) => string,
  ) {}

  add(note: string): void {
    if (this.kept.has(note)) return;
    if (this.kept.size < this.capacity) this.kept.add(note);
    else this.left++;
  }

  /** The notes in the order first seen, and the count of those left out. */
  list(): string[] {
    return [...this.kept, ...(this.left > 0 ? [this.leftOut(this.left)] : [])];
  }
}
