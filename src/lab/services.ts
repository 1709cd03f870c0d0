// Services for the lab's server namespace: TCP listeners, UDP echo, and a DNS responder (so UDP/53 probes get a
// real answer). Everything listens on the dual-stack wildcard, so one process serves IPv4 and IPv6, unless --host
// names one address (a listener meant for one link only, such as a management link).
// Prints "ready" once every socket is bound; exits when its stdin closes.
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';

const ports = (list: string | undefined): number[] => (list ? list.split(',').map(Number) : []);

/** Answers any query with the same question, QR set and NOERROR, no records: enough to prove the port is open. */
function dnsAnswer(query: Buffer): Buffer | null {
  if (query.length < 12) return null;
  const answer = Buffer.from(query);
  answer[2] = 0x80 | (query[2]! & 0x79); // QR=1, keep opcode and RD
  answer[3] = 0x00; // RA=0, RCODE=NOERROR
  answer.writeUInt16BE(0, 6); // no answers
  answer.writeUInt16BE(0, 8);
  answer.writeUInt16BE(0, 10);
  return answer;
}

function bindUdp(port: number, host: string, onMessage: (socket: Socket, message: Buffer, address: string, port: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', ipv6Only: false });
    socket.on('message', (message, remote) => onMessage(socket, message, remote.address, remote.port));
    socket.once('error', reject);
    socket.bind(port, host, () => resolve());
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { tcp: { type: 'string' }, 'udp-echo': { type: 'string' }, dns: { type: 'string' }, host: { type: 'string' } } });
  const host = values.host ?? '::';
  const listening: Promise<void>[] = [];
  for (const port of ports(values.tcp)) {
    // Tracers reset their connections at once (SO_LINGER 0): a reset is normal here, not a reason to die.
    const server = createServer((connection) => {
      connection.on('error', () => undefined);
      connection.end();
    });
    server.on('error', (error) => {
      throw error;
    });
    listening.push(new Promise((resolve) => server.listen({ port, host, ipv6Only: false }, resolve)));
  }
  for (const port of ports(values['udp-echo'])) {
    listening.push(bindUdp(port, host, (socket, message, address, from) => socket.send(message, from, address)));
  }
  for (const port of ports(values.dns)) {
    listening.push(
      bindUdp(port, host, (socket, message, address, from) => {
        const answer = dnsAnswer(message);
        if (answer) socket.send(answer, from, address);
      }),
    );
  }
  await Promise.all(listening);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  process.stdout.write('ready\n');
}

await main();
