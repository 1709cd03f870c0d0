// Payloads for UDP probes. A service only answers what it understands, so a bare probe to an open UDP port usually
// gets silence ("open|filtered"); a real request turns that into "open". Each payload has two bytes the prober may
// set freely (the steering field, which makes the UDP checksum carry the probe id) that the service echoes back
// when it can, so its answer is attributed to the exact probe.

export interface UdpPayload {
  /** Name shown to the user ("DNS query"). */
  name: string;
  bytes: Buffer;
  /** Even offset of the two free bytes inside the payload. */
  steeringOffset: number;
  /** Where the service's answer carries those two bytes back, if it does. */
  echoOffset: number | null;
}

/** DNS: a query for the root's NS records. Every resolver and authority answers it (even if only with REFUSED). */
function dnsQuery(): UdpPayload {
  const bytes = Buffer.from([
    0x00, 0x00, // id: the steering field, echoed in the answer
    0x01, 0x00, // flags: standard query, recursion desired
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 1 question
    0x00, // the root name
    0x00, 0x02, 0x00, 0x01, // type NS, class IN
  ]);
  return { name: 'DNS query', bytes, steeringOffset: 0, echoOffset: 0 };
}

/** NTP v4 client request; the server copies our transmit timestamp (offset 40) into its origin timestamp (24). */
function ntpRequest(): UdpPayload {
  const bytes = Buffer.alloc(48);
  bytes[0] = 0x23; // LI 0, version 4, mode 3 (client)
  return { name: 'NTP request', bytes, steeringOffset: 40, echoOffset: 24 };
}

/** Anything else: a recognisable marker. Echo-style services send it back unchanged. */
function genericPayload(): UdpPayload {
  const bytes = Buffer.concat([Buffer.alloc(2), Buffer.from('portpath probe')]);
  return { name: 'generic', bytes, steeringOffset: 0, echoOffset: 0 };
}

export function udpPayloadFor(port: number): UdpPayload {
  if (port === 53 || port === 5353) return dnsQuery();
  if (port === 123) return ntpRequest();
  return genericPayload();
}
