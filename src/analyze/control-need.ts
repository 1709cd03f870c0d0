// Whether a trace's verdict needs its control trace. The control (ICMP echo by default) tells a filtered port from a
// broken path and a forged answer from the destination's own; a port that answered from where its reply's TTL says
// it was sent needs neither. A batch runs the control only where this says so: half the probes of an open or closed
// port, and half the load on routers thousands of its traces cross (their ICMP budget is one answer a second).
import { finalSenderDistance } from './path-facts.js';
import type { TraceResult } from '../engine/types.js';

export function controlNeeded(result: TraceResult): boolean {
  const d = result.destination;
  if (!d.reached || d.hop === null || d.by !== result.target.address) return true;
  // An answer whose reply TTL puts its sender nearer than the TTL it came at may be forged on the way (or came back
  // by a shorter path): the control's distance to the destination tells which.
  const sender = finalSenderDistance(result);
  return sender === null || sender < d.hop;
}
