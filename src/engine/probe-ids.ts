// Probe ids for one flow. The trace and its follow-up probes share one allocator, so a late answer to a first-pass
// probe can never be taken for an answer to a re-probe.
import { MAX_PROBE_ID, MIN_PROBE_ID } from '../probe/method.js';

export class ProbeIds {
  private next: number;

  constructor(nonce: number) {
    this.next = MIN_PROBE_ID + (nonce % 0x4000);
  }

  take(): number {
    const id = this.next;
    this.next = id >= MAX_PROBE_ID ? MIN_PROBE_ID : id + 1;
    return id;
  }
}
