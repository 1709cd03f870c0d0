// One entry point for every simulated topology: a spec (plain JSON: a preset's name and its options) in, a
// SimTopology out, the same on every call. The test process builds it for the ground truth, the simulator process
// builds it again from the same spec to answer packets: nothing but the spec crosses between them.
import { internetTopology } from './internet.js';
import type { InternetOptions } from './internet.js';
import { chainTopology, diamondTopology, longTopology } from './presets.js';
import type { SimChainOptions, SimDiamondOptions } from './presets.js';
import type { SimTopology } from './model.js';

export type TopologySpec =
  | ({ preset: 'internet' } & InternetOptions)
  | ({ preset: 'chain' } & SimChainOptions)
  | ({ preset: 'long' } & Partial<SimChainOptions>)
  | ({ preset: 'diamond' } & SimDiamondOptions);

export function buildTopology(spec: TopologySpec): SimTopology {
  switch (spec.preset) {
    case 'internet':
      return internetTopology(spec);
    case 'chain':
      return chainTopology(spec);
    case 'long':
      return longTopology(spec);
    case 'diamond':
      return diamondTopology(spec);
  }
}
