// Hostile .mmdb contents for the tests: values that cost a reader without limits astronomically much work.
import { encodePointer, encodeValue } from './mmdb-writer.js';

/**
 * `levels` maps of `fanout` entries each, every value a pointer to the next level's one map: decoding it fully is
 * fanout^levels values from (1 + 4 × fanout) bytes a level (8 and 30: 8^30 values from about a kilobyte). The top
 * map sits at `start` of its section.
 */
export function nestedPointers(levels: number, fanout: number, start = 0): Buffer {
  const levelBytes = 1 + 4 * fanout;
  const parts: Buffer[] = [];
  for (let level = 0; level < levels; level++) {
    const next = start + (level + 1) * levelBytes;
    const entries = Array.from({ length: fanout }, (_, i) => [encodeValue(String.fromCharCode(97 + i)), encodePointer(next)]);
    parts.push(Buffer.from([0xe0 | fanout]), ...entries.flat());
  }
  parts.push(Buffer.from([0xe0])); // the last level: an empty map
  return Buffer.concat(parts);
}
