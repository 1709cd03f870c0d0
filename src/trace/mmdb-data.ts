// Values of a MaxMind DB's data and metadata sections (MaxMind DB File Format 2.0), decoded within limits. A crafted
// file can make a few bytes mean an endless amount of work: a map of k values that all point at one shared map, which
// does the same, n levels deep, is k^n values (mmdb-lib's decoder follows every pointer, with no limit: a 2 KB file
// of 8 pointers per level 30 levels deep kept it busy for good), and a size field may claim 16 million entries. Here
// every value decoded and every pointer followed costs a unit of a fixed budget, containers nest at most so deep,
// strings are cut short and the bytes of text taken out are counted: one lookup's work and result stay bounded
// whatever the file holds, and a record past the limits is an error, not a hang.

export type MmdbValue = string | number | bigint | boolean | Buffer | MmdbValue[] | { [key: string]: MmdbValue };

/** Far above any real record (a GeoLite2-City record is about 150 values, 3 KB of text, 4 levels deep). */
export const DECODE_LIMITS = { values: 10_000, depth: 32, stringBytes: 1024, totalBytes: 256 * 1024 };

export class MmdbDataError extends Error {}

/** The format's data types by number (0 says the type is in the next byte, as 7 + its value). */
const TYPES = ['extended', 'pointer', 'string', 'double', 'bytes', 'uint16', 'uint32', 'map', 'int32', 'uint64', 'uint128', 'array', 'container', 'end marker', 'boolean', 'float'] as const;

/** What pointers add to their packed value, by their size bits (the format's table). */
const POINTER_BASE = [0, 2048, 526_336, 0];

/**
 * Decodes the value at `offset` of `section` (the data section, or the metadata after its marker); pointers in a
 * section are offsets from its start. Throws MmdbDataError for damage and for anything past DECODE_LIMITS.
 */
export function decodeMmdbValue(section: Buffer, offset: number): MmdbValue {
  return new Decoding(section).value(offset, 0)[0];
}

class Decoding {
  private values = DECODE_LIMITS.values;
  private bytes = DECODE_LIMITS.totalBytes;

  constructor(private readonly section: Buffer) {}

  /** The value at `offset` and the offset after it. */
  value(offset: number, depth: number, pointed = false): [MmdbValue, number] {
    if (--this.values < 0) throw new MmdbDataError(`a record holds more than ${DECODE_LIMITS.values} values`);
    if (depth > DECODE_LIMITS.depth) throw new MmdbDataError(`a record nests deeper than ${DECODE_LIMITS.depth} levels`);
    const control = this.byte(offset++);
    let type = control >> 5;
    if (TYPES[type] === 'pointer') {
      // The format forbids a pointer to a pointer; following one is how chains would run on.
      if (pointed) throw new MmdbDataError('a pointer points to a pointer');
      const sizeBits = (control >> 3) & 3;
      const packed = sizeBits === 3 ? this.uint(offset, 4) : (control & 7) * 2 ** (8 * (sizeBits + 1)) + this.uint(offset, sizeBits + 1);
      return [this.value(POINTER_BASE[sizeBits]! + packed, depth + 1, true)[0], offset + sizeBits + 1];
    }
    if (type === 0) {
      type = 7 + this.byte(offset++);
      if (type < 8) throw new MmdbDataError('an extended type that is not one');
    }
    let size = control & 0x1f;
    if (size >= 29) {
      const extra = size - 28;
      size = [0, 29, 285, 65_821][extra]! + this.uint(offset, extra);
      offset += extra;
    }
    return this.payload(TYPES[type] ?? `type ${type}`, offset, size, depth);
  }

  private payload(type: string, offset: number, size: number, depth: number): [MmdbValue, number] {
    const end = offset + size;
    switch (type) {
      case 'string':
        this.take(offset, size);
        return [this.section.toString('utf8', offset, offset + Math.min(size, DECODE_LIMITS.stringBytes)), end];
      case 'bytes':
        this.take(offset, size);
        return [Buffer.from(this.section.subarray(offset, offset + Math.min(size, DECODE_LIMITS.stringBytes))), end];
      case 'double':
        return [this.fixed(offset, size, 8).readDoubleBE(offset), end];
      case 'float':
        return [this.fixed(offset, size, 4).readFloatBE(offset), end];
      case 'uint16':
      case 'uint32':
        return [this.uint(offset, this.atMost(size, type === 'uint16' ? 2 : 4)), end];
      case 'int32':
        return [size === 4 ? this.fixed(offset, size, 4).readInt32BE(offset) : this.uint(offset, this.atMost(size, 4)), end];
      case 'uint64':
      case 'uint128':
        return [this.bigUint(offset, this.atMost(size, type === 'uint64' ? 8 : 16)), end];
      case 'boolean':
        return [this.atMost(size, 1) === 1, offset];
      case 'map':
        return this.map(offset, size, depth);
      case 'array': {
        const array: MmdbValue[] = [];
        for (let i = 0; i < size; i++) [array[i], offset] = this.value(offset, depth + 1);
        return [array, offset];
      }
      default:
        throw new MmdbDataError(`a value of type ${type}, which a record cannot hold`);
    }
  }

  private map(offset: number, size: number, depth: number): [MmdbValue, number] {
    const map: { [key: string]: MmdbValue } = {};
    for (let i = 0; i < size; i++) {
      const [key, afterKey] = this.value(offset, depth + 1);
      if (typeof key !== 'string') throw new MmdbDataError('a map key is not a string');
      const [value, next] = this.value(afterKey, depth + 1);
      // defineProperty: a key named __proto__ is data here, not the object's prototype.
      Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
      offset = next;
    }
    return [map, offset];
  }

  /** Text or bytes taken out of the file count against the total. */
  private take(offset: number, size: number): void {
    this.check(offset, size);
    this.bytes -= Math.min(size, DECODE_LIMITS.stringBytes);
    if (this.bytes < 0) throw new MmdbDataError(`a record holds more than ${DECODE_LIMITS.totalBytes / 1024} KiB of text`);
  }

  private atMost(size: number, max: number): number {
    if (size > max) throw new MmdbDataError(`a number of ${size} bytes where at most ${max} fit`);
    return size;
  }

  private fixed(offset: number, size: number, wanted: number): Buffer {
    if (size !== wanted) throw new MmdbDataError(`a ${wanted * 8}-bit number of ${size} bytes`);
    this.check(offset, size);
    return this.section;
  }

  private byte(offset: number): number {
    this.check(offset, 1);
    return this.section[offset]!;
  }

  private uint(offset: number, size: number): number {
    this.check(offset, size);
    return size === 0 ? 0 : this.section.readUIntBE(offset, size);
  }

  private bigUint(offset: number, size: number): bigint {
    this.check(offset, size);
    let value = 0n;
    for (let i = 0; i < size; i++) value = (value << 8n) | BigInt(this.section[offset + i]!);
    return value;
  }

  private check(offset: number, size: number): void {
    if (offset < 0 || offset + size > this.section.length) throw new MmdbDataError('a value runs past the end of its section');
  }
}
