// The packet layer in one import: pure encoders/decoders, no I/O.
export * from './address.js';
export * from './checksum.js';
export * from './decoded.js';
export * from './describe.js';
export * from './extensions.js';
export * from './icmp.js';
export * from './icmpv6.js';
export * from './interface-info.js';
export * from './ipv4.js';
export * from './ipv6.js';
export * from './tcp.js';
export * from './udp.js';
export { hexPrefix } from './bytes.js';
