// A bad path for a kernel without netem: two TUN interfaces joined by this process, which passes each packet to the
// other side after the delay, jitter, spikes, reordering and loss of that direction (impairment.ts), seeded so the
// same seed makes the same decisions for the same packets (link-scoped ones, sent on kernel timers, draw nothing).
// Run inside the left namespace; the lab builder then moves the right TUN to its namespace (the fds keep working).
// Prints "ready" once both TUNs exist; exits when its stdin closes, so it never outlives the lab builder.
import { parseArgs } from 'node:util';
import { loadNative } from '../transport/native.js';
import { parseImpairment } from './impairment.js';
import { isLinkScoped } from './link-scoped.js';
import { deriveSeed, mulberry32 } from './seeded-random.js';
import { DueTimer } from './due-timer.js';
import { WireDirection } from './wire-direction.js';

const MAX_PACKET = 65_535;
const USAGE = 'usage: delay-link --left IF --right IF [--to-right SPEC] [--to-left SPEC] [--seed N]  (SPEC: delayMs=5,loss=0.1,… or none)';

function main(): void {
  const { values } = parseArgs({
    options: {
      left: { type: 'string' },
      right: { type: 'string' },
      'to-right': { type: 'string', default: 'none' },
      'to-left': { type: 'string', default: 'none' },
      seed: { type: 'string', default: '1' },
    },
  });
  if (!values.left || !values.right) throw new Error(USAGE);
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}\n${USAGE}`);
  const native = loadNative();
  const ends = [native.tunOpen(values.left), native.tunOpen(values.right)] as const;
  // Index = the end a packet came in at: 0 (left) travels to the right, 1 (right) to the left. Each direction
  // draws from its own stream, so traffic one way never shifts the other way's decisions.
  const directions = [values['to-right'], values['to-left']].map(
    (spec, from) => new WireDirection<Buffer>(parseImpairment(spec), mulberry32(deriveSeed(seed, from))),
  );

  const deliverDue = (): void => {
    const now = performance.now();
    directions.forEach((direction, from) => {
      for (const packet of direction.release(now)) {
        try {
          native.write(ends[1 - from]!, packet);
        } catch {
          // The far interface is down or gone (lab teardown): the packet is lost, as on a real link.
        }
      }
    });
  };
  // One timer for both directions, armed for the earliest packet due.
  const timer = new DueTimer(deliverDue, () => Math.min(...directions.map((direction) => direction.nextDue() ?? Infinity)));

  ends.forEach((fd, from) => {
    const direction = directions[from]!;
    const poller = native.poll(fd, (status) => {
      if (status < 0) return;
      for (let packet = native.read(fd, MAX_PACKET); packet; packet = native.read(fd, MAX_PACKET)) {
        if (isLinkScoped(packet)) direction.acceptUnimpaired(packet, performance.now());
        else direction.accept(packet, performance.now());
      }
      // Straight through when something is due already (a link with loss but no delay); then the timer, which a
      // packet with little jitter may need sooner than the one it was armed for.
      deliverDue();
      timer.schedule();
    });
    poller.start(1);
  });

  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  process.stdout.write('ready\n');
}

main();
