// One probe method per protocol; each trace gets its own instance (the UDP method remembers what it sent).
import { createIcmpEchoMethod } from './icmp-echo.js';
import type { ProbeMethod, Protocol } from './method.js';
import { createTcpSynMethod } from './tcp-syn.js';
import { createUdpMethod } from './udp.js';

export function createProbeMethod(protocol: Protocol): ProbeMethod {
  switch (protocol) {
    case 'tcp':
      return createTcpSynMethod();
    case 'udp':
      return createUdpMethod();
    case 'icmp':
      return createIcmpEchoMethod();
  }
}
