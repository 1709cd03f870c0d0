// A real DNS server for the lab: dnsmasq in the server's namespace answering Team Cymru's TXT queries for the lab's
// addresses (one answer is garbage on purpose). Used by the owner-lookup and report tests.
import type { Chain } from '../../src/lab/topology.js';
import { runCli } from './harness.js';

export const CYMRU_RECORDS: [string, string][] = [
  ['2.1.18.198.origin.asn.cymru.com', '64500 | 198.18.1.0/24 | ZZ | lab | 2026-11-29'],
  ['2.2.18.198.origin.asn.cymru.com', '64501 | 198.18.2.0/24 | ZZ | lab | 2026-11-29'],
  ['2.3.18.198.origin.asn.cymru.com', 'not a | cymru answer'],
  ['2.4.18.198.origin.asn.cymru.com', '64502 | 198.18.4.0/22 | ZZ | lab | 2026-11-29'],
  ['AS64500.asn.cymru.com', '64500 | ZZ | lab | 2026-11-29 | LAB-EDGE - Lab edge network'],
  ['AS64501.asn.cymru.com', '64501 | ZZ | lab | 2026-11-29 | LAB-CORE - Lab core'],
  ['AS64502.asn.cymru.com', '64502 | ZZ | lab | 2026-11-29 | LAB-DC - Lab data centre'],
];

/**
 * Starts dnsmasq on the server's address (it dies with the lab) serving `records` (name, TXT text; default the
 * lab's Team Cymru records); resolves with that address once it answers hop 1's origin query.
 */
export async function startLabDns(chain: Chain, records: readonly [string, string][] = CYMRU_RECORDS): Promise<string> {
  const server = chain.serverAddress(4);
  chain.spawn(chain.server, 'dnsmasq', [
    '--keep-in-foreground', '--no-resolv', '--no-hosts', '--bind-interfaces', `--listen-address=${server}`, '--port=53',
    '--user=root', '--pid-file=', '--log-facility=-',
    // No shell between us and dnsmasq: quotes would become part of the record.
    ...records.map(([name, text]) => `--txt-record=${name},${text}`),
  ]);
  for (let i = 0; i < 50; i++) {
    const run = await runCli(chain.client.namespace, ['-z', '--dns', server, '--json', '-n', '-m', '1', server, '443']).catch(() => null);
    // Hop 1's owner came from DNS: dnsmasq is answering.
    if (run?.stdout.includes('"dns"')) return server;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('dnsmasq did not start answering in the lab');
}
