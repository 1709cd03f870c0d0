// One probe method per protocol; each trace gets its own instance (the UDP method remembers what it sent).
import { createIcmpEchoMethod } from './icmp-echo.js';
import type { ProbeMethod, Protocol } from './method.js';
import { createTcpAckMethod } from './tcp-ack.js';
import { createTcpSynMethod } from './tcp-syn.js';
import { createUdpMethod } from './udp.js';

/** TCP probes are SYNs unless asked for ACKs (nmap's ACK ping, to find a host that drops SYNs and echo). */
export type TcpProbe = 'syn' | 'ack';

export function createProbeMethod(protocol: Protocol, tcp: TcpProbe = 'syn'): ProbeMethod {
  switch (protocol) {
    case 'tcp':
      return tcp === 'ack' ? createTcpAckMethod() : createTcpSynMethod();
    case 'udp':
      return createUdpMethod();
    case 'icmp':
      return createIcmpEchoMethod();
  }
}
