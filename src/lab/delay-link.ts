// A network link with real latency, for a kernel without netem: two TUN interfaces joined by this process, which
// holds every packet for a fixed delay before writing it out of the other side (and can drop a seeded fraction).
// Run inside the left namespace; the lab builder then moves the right TUN to its namespace (the fds keep working).
// Prints "ready" once both TUNs exist; exits when its stdin closes, so it never outlives the lab builder.
import { parseArgs } from 'node:util';
import { loadNative } from '../transport/native.js';
import { mulberry32 } from './seeded-random.js';

interface Held {
  due: number;
  packet: Buffer;
}

const MAX_PACKET = 65_535;

function main(): void {
  const { values } = parseArgs({
    options: {
      left: { type: 'string' },
      right: { type: 'string' },
      delay: { type: 'string', default: '0' },
      loss: { type: 'string', default: '0' },
      seed: { type: 'string', default: '1' },
    },
  });
  if (!values.left || !values.right) throw new Error('usage: delay-link --left IF --right IF [--delay MS] [--loss FRACTION]');
  const delayMs = Number(values.delay);
  const loss = Number(values.loss);
  const random = mulberry32(Number(values.seed));
  const native = loadNative();
  const ends = [native.tunOpen(values.left), native.tunOpen(values.right)] as const;

  // One FIFO per direction: with a constant delay, arrival order is also departure order.
  const queues: [Held[], Held[]] = [[], []];
  let timer: NodeJS.Timeout | undefined;

  const flush = (): void => {
    timer = undefined;
    const now = performance.now();
    let next = Infinity;
    queues.forEach((queue, from) => {
      while (queue.length > 0 && queue[0]!.due <= now) {
        const held = queue.shift()!;
        try {
          native.write(ends[1 - from]!, held.packet);
        } catch {
          // The far interface is down or gone (lab teardown): the packet is lost, as on a real link.
        }
      }
      if (queue.length > 0) next = Math.min(next, queue[0]!.due);
    });
    if (next !== Infinity) timer = setTimeout(flush, Math.max(0, next - performance.now()));
  };

  ends.forEach((fd, from) => {
    const poller = native.poll(fd, (status) => {
      if (status < 0) return;
      for (let packet = native.read(fd, MAX_PACKET); packet; packet = native.read(fd, MAX_PACKET)) {
        if (loss > 0 && random() < loss) continue;
        queues[from]!.push({ due: performance.now() + delayMs, packet });
      }
      if (!timer) flush();
    });
    poller.start(1);
  });

  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  process.stdout.write('ready\n');
}

main();
