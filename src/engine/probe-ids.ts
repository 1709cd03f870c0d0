// Probe ids for one flow, handed out as probes are sent, counting up. The TCP method carries the id in the sequence
// number, and every SYN of a trace shares one flow: a SYN that reaches the server while it still holds an earlier
// SYN's half-open connection (our kernel's RST to its SYN-ACK not there yet) then has a higher sequence number,
// inside that connection's receive window, and draws an RST that names it (ack = seq + 1) at once, instead of an
// out-of-window bare ACK that names nobody and leaves the probe to time out. Such an RST is no proof of a closed
// port (see Tracer.collisionSuspects). The trace and its follow-up probes share one allocator, so a late answer to a
// first-pass probe can never be taken for an answer to a re-probe either.
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
