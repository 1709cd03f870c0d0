// The simulated Internet's veth front (front: 'veth'): the simulator's TUN sits in a namespace of its own, the
// forwarder, and the client reaches it over a veth pair. Tools that need a link layer (scamper's TCP traces open a
// datalink and resolve the next hop's MAC; on the bare TUN it stops at once) then run like on any Ethernet host.
//
//   client ── pp1a ═ veth ═ pp1b ── forwarder ── sim0 (TUN) ── simulator
//
// The forwarder is a router, so it would add a hop to every path. It increments each packet's TTL (hop limit) by one
// before routing instead, so its own decrement cancels out: a probe leaves the TUN with the TTL it left the client
// with, and an answer reaches the client with the TTL the simulator gave it. Everything the simulator knows (ground
// truth, its answer log's TTLs) then holds unchanged for any tool, with nothing to subtract from anybody's hops.
// The forwarder's own addresses are in the client's /24 (/64), which no topology uses (addresses.ts, addressing.ts).
import { LAB_SUPERNET } from '../addressing.js';
import { run, runIn } from '../exec.js';
import { addVeth, ipBatch, macAddress, waitForLinks } from '../lab-runtime.js';
import type { LabNode } from '../lab-runtime.js';
import { interfaceName } from '../names.js';
import type { Family, SimAddresses } from './model.js';

/** The veth's link number: pp1a on the client, pp1b on the forwarder (names only; its addresses are below). */
const FRONT_LINK = 1;
export const FORWARDER: Record<Family, string> = { 4: '198.18.0.2', 6: '2001:db8::2' };

const hostLength = (family: Family): number => (family === 4 ? 32 : 128);

/**
 * Joins `client` to `forwarder` (whose TUN already carries the lab ranges) by the veth: the client's addresses on
 * its end and the lab ranges routed through the forwarder; the forwarder routes the client's addresses back over
 * the veth and hides its hop. Both namespaces exist; the forwarder forwards (baseSysctls(true, …)).
 */
export async function addVethFront(client: LabNode, forwarder: LabNode, addresses: SimAddresses): Promise<void> {
  const families: Family[] = addresses[6] === null ? [4] : [4, 6];
  const near = interfaceName(FRONT_LINK, 'left');
  const far = interfaceName(FRONT_LINK, 'right');
  addVeth({ link: FRONT_LINK, left: client, right: forwarder });
  const clientLines = ['link set dev lo up'];
  const forwarderLines: string[] = [];
  for (const family of families) {
    const nodad = family === 6 ? ' nodad' : '';
    clientLines.push(`addr add ${addresses[family]}/${hostLength(family)} dev ${near}${nodad}`);
    forwarderLines.push(`addr add ${FORWARDER[family]}/${hostLength(family)} dev ${far}${nodad}`);
  }
  clientLines.push(`link set dev ${near} up`);
  forwarderLines.push(`link set dev ${far} up`);
  for (const family of families) {
    // Host addresses only on the veth, so the routes say where the other end is.
    clientLines.push(`route add ${FORWARDER[family]} dev ${near}`, `route add ${LAB_SUPERNET[family]} via ${FORWARDER[family]} dev ${near}`);
    forwarderLines.push(`route add ${addresses[family]} dev ${far}`);
  }
  ipBatch(client, clientLines);
  ipBatch(forwarder, forwarderLines);
  // ND and ARP keep their TTL 255 (the increment saturates); forwarded packets come out with the TTL they came in with.
  runIn(forwarder.namespace, 'iptables', ['-t', 'mangle', '-A', 'PREROUTING', '-j', 'TTL', '--ttl-inc', '1']);
  if (families.includes(6)) runIn(forwarder.namespace, 'ip6tables', ['-t', 'mangle', '-A', 'PREROUTING', '-j', 'HL', '--hl-inc', '1']);
  await waitForLinks([client, forwarder]);
  // As seedIpv6Neighbours does for lab links: a fresh link's first neighbour solicitation is often answered only on
  // the retry a second later, which would look like a lost first probe. IPv4 keeps real first-contact ARP.
  if (families.includes(6)) {
    run('ip', ['-n', client.namespace, 'neigh', 'replace', FORWARDER[6], 'lladdr', macAddress(forwarder, far), 'dev', near, 'nud', 'stale']);
    run('ip', ['-n', forwarder.namespace, 'neigh', 'replace', addresses[6]!, 'lladdr', macAddress(client, near), 'dev', far, 'nud', 'stale']);
  }
}
