// Default options for engine tests: the CLI's defaults, on a fixed flow.
import type { TraceOptions } from '../../src/engine/types.js';

export function traceOptions(overrides: Partial<TraceOptions> = {}): TraceOptions {
  return {
    family: 4,
    protocol: 'tcp',
    destination: '198.18.9.2',
    port: 443,
    source: '198.18.1.1',
    sourcePort: 40000,
    icmpId: 1234,
    nonce: 77,
    firstTtl: 1,
    maxTtl: 30,
    probesPerHop: 3,
    wait: { maxMs: 3000, here: 3, near: 3, minMs: 50, trailingMs: 500 },
    gapLimit: 5,
    window: 8,
    probeSpacingMs: 5,
    confirmRepeats: false,
    ...overrides,
  };
}
