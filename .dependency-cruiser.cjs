// The architecture, enforced (npm run lint:deps, part of the test suite): imports flow one way, from the top layer
// down, and never in a cycle.
//
//   packet  <-  probe  <-  engine  <-  transport, analyze  <-  trace  <-  report  <-  exporter  <-  cli
//
// packet: pure codecs; probe: one module per probe method; engine: the tracer on an injected clock and network;
// transport: raw and unprivileged sockets; analyze: the diagnosis; trace: the one owner of a run and the public
// API (src/index.ts re-exports it); report: renderers; exporter: the Prometheus exporter; cli: the command line.
// Exceptions, on purpose: lab/ (the network-namespace lab the tests and `portpath demo` build) sits beside
// transport and uses its native syscalls for TUN devices; cli/demo.ts builds a lab.
const layers = ['packet', 'probe', 'engine', 'transport|analyze', 'trace', 'report', 'exporter', 'cli'];
const above = (i) => layers.slice(i + 1).join('|');

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Import cycles make layers meaningless.', from: {}, to: { circular: true } },
    ...layers.slice(0, -1).map((layer, i) => ({
      name: `${layer.replace('|', '-')}-imports-downward-only`,
      severity: 'error',
      comment: `src/${layer} may import only the layers below it.`,
      from: { path: `^src/(${layer})/` },
      to: { path: `^src/(${above(i)}|lab|index\\.ts)` },
    })),
    {
      name: 'transport-and-analyze-apart',
      severity: 'error',
      comment: 'transport and analyze are side by side: neither needs the other.',
      from: { path: '^src/(transport|analyze)/' },
      to: { path: '^src/(transport|analyze)/', pathNot: '^src/$1/' },
    },
    {
      name: 'lab-beside-transport',
      severity: 'error',
      comment: 'The lab may use the codecs, the engine and the transport (TUN syscalls), nothing above.',
      from: { path: '^src/lab/' },
      to: { path: `^src/(analyze|${above(3)}|index\\.ts)` },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
