// Traces several targets at once through the library and prints one line each: where traffic to the port stops.
//   node examples/three-targets.mjs HOST:PORT [HOST:PORT ...]      ([IPv6]:PORT for IPv6 literals)
// Raw sockets need root or CAP_NET_RAW; without them the library uses unprivileged sockets on its own.
import { PortpathError, trace } from 'portpath';

function parseTarget(text) {
  const match = /^\[(.+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!match) throw new PortpathError('ERR_USAGE', `'${text}' is not HOST:PORT.`);
  return { host: match[1], port: Number(match[2]) };
}

const targets = process.argv.slice(2).map(parseTarget);
if (targets.length === 0) {
  console.error('usage: node examples/three-targets.mjs HOST:PORT [HOST:PORT ...]');
  process.exit(2);
}
const runs = await Promise.allSettled(targets.map(({ host, port }) => trace(host, { port })));
runs.forEach((run, i) => {
  const { host, port } = targets[i];
  if (run.status === 'rejected') {
    const error = run.reason;
    console.log(`${host}:${port}  error ${error instanceof PortpathError ? `${error.code}: ${error.message}` : String(error)}`);
    return;
  }
  const { destination, diagnosis } = run.value;
  const where = diagnosis.hop === null ? '' : ` at hop ${diagnosis.hop}${diagnosis.by ? ` (${diagnosis.by})` : ''}`;
  console.log(`${host}:${port}  ${diagnosis.verdict}${where}, ${diagnosis.confidence} confidence; port ${destination.state ?? 'unknown'}`);
});
