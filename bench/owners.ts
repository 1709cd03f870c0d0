// What -z costs, for `npm run bench -- --only owners`: on a 3-router lab with dnsmasq answering Team Cymru's TXT
// queries for its addresses, the same trace without lookups, with lookups against the answering resolver, and with
// lookups against a resolver that never answers. Wall time, median of five runs each, alternating.
import { buildChain } from '../src/lab/topology.js';
import { runInNode, sleep } from './exec.js';
import { PORTPATH_CLI } from './peers.js';
import { median } from './report.js';

export interface OwnersCost {
  plainMs: number;
  answeringMs: number;
  deadMs: number;
  runs: number;
  answered: boolean;
}

const RECORDS = [
  '--txt-record=2.1.18.198.origin.asn.cymru.com,64500 | 198.18.1.0/24 | ZZ | lab | 2026-11-29',
  '--txt-record=2.2.18.198.origin.asn.cymru.com,64501 | 198.18.2.0/24 | ZZ | lab | 2026-11-29',
  '--txt-record=2.3.18.198.origin.asn.cymru.com,64501 | 198.18.3.0/24 | ZZ | lab | 2026-11-29',
  '--txt-record=2.4.18.198.origin.asn.cymru.com,64502 | 198.18.4.0/22 | ZZ | lab | 2026-11-29',
  '--txt-record=AS64500.asn.cymru.com,64500 | ZZ | lab | 2026-11-29 | LAB-EDGE',
  '--txt-record=AS64501.asn.cymru.com,64501 | ZZ | lab | 2026-11-29 | LAB-CORE',
  '--txt-record=AS64502.asn.cymru.com,64502 | ZZ | lab | 2026-11-29 | LAB-DC',
];

export async function measureOwners(runs = 5): Promise<OwnersCost> {
  const chain = await buildChain({ routers: 3, ipv6: false });
  try {
    await chain.startServices({ tcp: [443] });
    const server = chain.serverAddress(4);
    chain.spawn(chain.server, 'dnsmasq', ['--keep-in-foreground', '--no-resolv', '--no-hosts', '--bind-interfaces', `--listen-address=${server}`, '--port=53', '--user=root', '--pid-file=', ...RECORDS]);
    await sleep(500);
    const trace = (extra: string[]) => runInNode(chain, chain.client, process.execPath, [PORTPATH_CLI, ...extra, '-n', server, '443'], 60);
    const times = { plain: [] as number[], answering: [] as number[], dead: [] as number[] };
    let answered = false;
    for (let i = 0; i < runs; i++) {
      times.plain.push((await trace([])).seconds * 1000);
      const live = await trace(['-z', '--dns', server]);
      answered ||= live.stdout.includes('AS64500');
      times.answering.push(live.seconds * 1000);
      // An address on the server's link that no host has: the queries go out and nothing answers.
      times.dead.push((await trace(['-z', '--dns', '198.18.4.77'])).seconds * 1000);
    }
    return { plainMs: median(times.plain), answeringMs: median(times.answering), deadMs: median(times.dead), runs, answered };
  } finally {
    await chain.destroy();
  }
}
