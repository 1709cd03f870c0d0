// A topology made ready for lookups at packet rate: which node owns a destination address (read from the packet's
// bytes, no text), the firewall rules for a host's port, the node ids of the hops a flow takes, and every node's
// addresses as bytes to write into answers. Built once per simulator; the engine and the ground truth both walk
// paths through resolve(), so they cannot disagree on which hops a flow passes.
import { addressToBytes, ipv4ToBytes, ipv6ToBytes } from '../../packet/address.js';
import { branchOf, flowHash } from './flow-hash.js';
import type { Family, SimRule, SimTopology } from './model.js';

/** Longer than any path a topology may have (TTLs end at 255). */
export const MAX_PATH = 256;

const PROTOCOL_BIT = { 6: 0, 17: 1 } as Record<number, number>;

/** One key per (host, protocol, port): host * 2^17 + protocol bit * 2^16 + port, exact in a double for any topology. */
function ruleKey(host: number, protocol: number, port: number): number {
  return host * 131072 + (PROTOCOL_BIT[protocol] ?? 0) * 65536 + port;
}

const v6Key = (bytes: Uint8Array, at: number): string => Buffer.from(bytes.buffer, bytes.byteOffset + at, 16).toString('latin1');

export class SimNetwork {
  /** Each node's addresses as bytes, by node id (address6[id] is null without IPv6). */
  readonly address4: Buffer[];
  readonly address6: (Buffer | null)[];
  private readonly byV4 = new Map<number, number>();
  private readonly byV6 = new Map<string, number>();
  private readonly rules = new Map<number, SimRule[]>();

  constructor(readonly topology: SimTopology) {
    this.address4 = topology.nodes.map((node) => ipv4ToBytes(node.address[4]));
    this.address6 = topology.nodes.map((node) => (node.address[6] === null ? null : ipv6ToBytes(node.address[6])));
    topology.nodes.forEach((node, id) => {
      if (topology.reach[id] === null) return;
      this.byV4.set(this.address4[id]!.readUInt32BE(0), id);
      const v6 = this.address6[id];
      if (v6) this.byV6.set(v6Key(v6, 0), id);
    });
    for (const rule of topology.rules) {
      const key = ruleKey(rule.host, rule.protocol === 'tcp' ? 6 : 17, rule.port);
      const list = this.rules.get(key);
      if (list) list.push(rule);
      else this.rules.set(key, [rule]);
    }
  }

  /** The node whose address is at `at` in `packet` (4 or 16 bytes by family), or -1. */
  nodeAt(packet: Uint8Array, at: number, family: Family): number {
    if (family === 4) {
      const address = ((packet[at]! << 24) | (packet[at + 1]! << 16) | (packet[at + 2]! << 8) | packet[at + 3]!) >>> 0;
      return this.byV4.get(address) ?? -1;
    }
    return this.byV6.get(v6Key(packet, at)) ?? -1;
  }

  /** The node with this address (text), or -1. */
  nodeOf(address: string): number {
    const bytes = addressToBytes(address);
    return this.nodeAt(bytes, 0, bytes.length === 4 ? 4 : 6);
  }

  /** The rules for traffic to `host` on protocol number `protocol` (6, 17) and `port`, in no order; undefined if none. */
  rulesFor(host: number, protocol: number, port: number): SimRule[] | undefined {
    return this.rules.get(ruleKey(host, protocol, port));
  }

  /**
   * Fills `out` with the node ids of every hop to node `destination` for the flow of `packet` (its bytes are hashed
   * only where a balancer needs them; null: every balancer takes its first branch), the destination last, and
   * returns how many. -1 when the node is not a destination (a router inside a balanced stretch).
   */
  resolve(destination: number, packet: Uint8Array | null, out: Int32Array): number {
    const reach = this.topology.reach[destination];
    if (!reach) return -1;
    const steps = this.topology.routes[reach.route]!;
    let hash = -1;
    let length = 0;
    for (let i = 0; i < reach.steps; i++) {
      const step = steps[i]!;
      if (typeof step === 'number') {
        out[length++] = step;
        continue;
      }
      if (hash < 0 && packet) hash = flowHash(packet);
      for (const node of step.branches[packet ? branchOf(hash, step.salt, step.branches.length) : 0]!) out[length++] = node;
    }
    out[length++] = destination;
    return length;
  }
}
