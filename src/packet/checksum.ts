// The Internet checksum (RFC 1071) and the arithmetic that lets a probe choose its own checksum. Paris traceroute
// keeps the UDP/ICMP checksum constant (or makes it the probe id) by spending two payload bytes on "steering":
// since the sum is ones'-complement addition, the right value in a free 16-bit field yields any checksum we like.
import { addressToBytes } from './address.js';

/** Folds carries back in until the value fits 16 bits (end-around carry). */
function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/**
 * Ones'-complement sum of data as big-endian 16-bit words (an odd last byte is the high byte of a zero-padded word),
 * added to `initial` (e.g. a pseudo-header sum), folded to 16 bits and NOT inverted, so sums can be chained.
 */
export function onesComplementSum(data: Uint8Array, initial = 0): number {
  let sum = fold(initial);
  const even = data.length & ~1;
  for (let i = 0; i < even; i += 2) {
    sum += (data[i]! << 8) | data[i + 1]!;
    // Fold every 32k words at the latest so the accumulator stays an exact small integer.
    if (sum > 0x7fffffff) sum = fold(sum);
  }
  if (even < data.length) sum += data[even]! << 8;
  return fold(sum);
}

/** The checksum field value for a folded sum computed with the field zeroed. */
export function finishChecksum(sum: number): number {
  return ~sum & 0xffff;
}

/** RFC 1071 checksum of data. Over data that already holds its checksum, a correct one gives 0. */
export function internetChecksum(data: Uint8Array): number {
  return finishChecksum(onesComplementSum(data));
}

/**
 * Sum of the TCP/UDP/ICMPv6 pseudo-header (RFC 793 for IPv4; RFC 8200 §8.1 for IPv6: 32-bit length, next header).
 * The family comes from the address text; throws RangeError for invalid or mixed-family addresses.
 */
export function pseudoHeaderSum(source: string, destination: string, protocol: number, length: number): number {
  return pseudoHeaderSumOfBytes(addressToBytes(source), addressToBytes(destination), protocol, length);
}

/**
 * The same from the addresses' bytes (4 or 16 each), as they sit in a packet: what the simulator uses, which reads
 * addresses straight out of the packets it answers and never turns them into text.
 */
export function pseudoHeaderSumOfBytes(source: Uint8Array, destination: Uint8Array, protocol: number, length: number): number {
  if (source.length !== destination.length) throw new RangeError(`pseudo-header with mixed families: ${source.length} and ${destination.length} address bytes`);
  // IPv4: zero, protocol, 16-bit length; IPv6: 32-bit length, three zero bytes, next header — as 16-bit words.
  const tail = source.length === 4 ? protocol + (length & 0xffff) : Math.floor(length / 0x10000) + (length & 0xffff) + protocol;
  return fold(onesComplementSum(destination, onesComplementSum(source)) + tail);
}

/**
 * The value to put in a free 16-bit field (word-aligned, zero while `sumWithoutField` was computed, and with the
 * checksum field also zero then) so that the finished checksum is exactly `target`. We need sum + v ≡ ~target, so
 * v = ~target - sum, i.e. ~target + ~sum in ones'-complement arithmetic. Every target except 0xffff comes out
 * exactly for data that is not all zeros (a folded non-zero sum is never 0, so its checksum is never 0xffff); for
 * 0xffff the computed checksum is 0, and 0xffff written in the field still verifies (both are ones'-complement
 * zero), which is also what UDP transmits for a computed 0.
 */
export function steeringValue(sumWithoutField: number, target: number): number {
  return fold((~target & 0xffff) + (~fold(sumWithoutField) & 0xffff));
}
