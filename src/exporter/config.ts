// The exporter's config file (docs/exporter.md): modules (how to probe), the allowlist of what /probe may aim at,
// limits, the continuous watches, and whether responder addresses may appear in metrics. Read whole and checked
// before anything starts; a reload that fails keeps the running config.
import { readFile } from 'node:fs/promises';
import type { Verdict } from '../analyze/diagnose.js';
import { VERDICTS } from '../analyze/finding.js';
import type { Protocol } from '../probe/method.js';
import { errnoOf, PortpathError } from '../transport/errors.js';
import { DEFAULT_PORTS, parseMethod } from '../trace/method-spec.js';
import type { ProbeSpec, TransportMode } from '../trace/session.js';
import type { RunOptions } from '../trace/run-types.js';
import { LIMITS } from '../trace/run-checks.js';
import { ConfigReader } from './config-reader.js';
import type { YamlNode } from './config-reader.js';
import { parseDuration } from './duration.js';
import { parseAllowRules } from './allowlist.js';
import type { AllowRules } from './allowlist.js';
import { parseTarget } from './target.js';
import type { ProbeTarget } from './target.js';

export interface Module {
  name: string;
  protocol: Protocol;
  /** The port when the target names none (null for ICMP). */
  port: number | null;
  probesPerHop: number;
  firstTtl: number;
  maxTtl: number;
  waitMs: number;
  control: ProbeSpec | false;
  followUp: boolean;
  lossTest: boolean;
  mode: TransportMode;
  family: 4 | 6 | null;
  /** A multipath run instead of a trace (/probe only). */
  paths: boolean;
  confidence: 95 | 99;
  /** Verdicts that make probe_success 1. */
  expect: Verdict[];
}

export interface WatchConfig {
  name: string;
  target: ProbeTarget;
  module: Module;
  intervalMs: number;
}

export interface ExporterConfig {
  file: string;
  modules: Map<string, Module>;
  /** Null: no allow section, /probe may aim only at the watches' targets. */
  allow: AllowRules | null;
  concurrentProbes: number;
  minIntervalMs: number;
  watches: WatchConfig[];
  responderInfo: boolean;
}

const MODULE_KEYS = ['method', 'port', 'probes_per_hop', 'first_ttl', 'max_ttl', 'wait', 'control', 'follow_up', 'loss_test', 'mode', 'family', 'paths', 'confidence', 'expect'] as const;
const DEFAULT_WAIT_MS = 1000;
const DEFAULT_INTERVAL_MS = 10_000;
/** Rounds faster than this would spend a router's ICMP budget (burst 6, then 1/s) on the watch alone. */
const MIN_INTERVAL_MS = 1000;

function duration(reader: ConfigReader, node: YamlNode, key: string, min: number, max: number): number {
  const text = String(reader.scalar(node, key));
  const ms = parseDuration(text);
  if (ms === null) reader.fail(node, key, `must be a duration such as 500ms, 10s or 1m, not '${text}'`);
  if (ms < min || ms > max) reader.fail(node, key, `must be from ${min / 1000}s to ${max / 1000}s, not ${text}`);
  return ms;
}

function readModule(reader: ConfigReader, name: string, node: YamlNode): Module {
  const key = `modules.${name}`;
  const m = reader.map(node, key, MODULE_KEYS);
  const v = (k: (typeof MODULE_KEYS)[number]) => m.get(k)?.value;
  const has = (k: (typeof MODULE_KEYS)[number]) => m.has(k);
  const protocol = has('method') ? reader.oneOf(v('method')!, `${key}.method`, ['tcp', 'udp', 'icmp'] as const) : 'tcp';
  if (protocol === 'icmp' && has('port')) reader.fail(m.get('port')!.key, `${key}.port`, 'ICMP echo has no port');
  const firstTtl = has('first_ttl') ? reader.integer(v('first_ttl')!, `${key}.first_ttl`, ...LIMITS.firstTtl) : 1;
  const maxTtl = has('max_ttl') ? reader.integer(v('max_ttl')!, `${key}.max_ttl`, ...LIMITS.maxTtl) : 30;
  if (firstTtl > maxTtl) reader.fail(v('first_ttl')!, `${key}.first_ttl`, `is past max_ttl (${maxTtl})`);
  const paths = has('paths') ? reader.boolean(v('paths')!, `${key}.paths`) : false;
  if (!paths && has('confidence')) reader.fail(m.get('confidence')!.key, `${key}.confidence`, 'applies only with paths: true');
  return {
    name,
    protocol,
    port: has('port') ? reader.integer(v('port')!, `${key}.port`, ...LIMITS.port) : DEFAULT_PORTS[protocol],
    probesPerHop: has('probes_per_hop') ? reader.integer(v('probes_per_hop')!, `${key}.probes_per_hop`, ...LIMITS.probesPerHop) : 3,
    firstTtl,
    maxTtl,
    waitMs: has('wait') ? duration(reader, v('wait')!, `${key}.wait`, 10, 60_000) : DEFAULT_WAIT_MS,
    control: has('control') ? readControl(reader, v('control')!, `${key}.control`) : { protocol: 'icmp', port: null },
    followUp: has('follow_up') ? reader.boolean(v('follow_up')!, `${key}.follow_up`) : true,
    lossTest: has('loss_test') ? reader.boolean(v('loss_test')!, `${key}.loss_test`) : false,
    mode: has('mode') ? reader.oneOf(v('mode')!, `${key}.mode`, ['auto', 'raw', 'unprivileged'] as const) : 'auto',
    family: has('family') ? familyOf(reader.oneOf(v('family')!, `${key}.family`, ['auto', '4', '6'] as const)) : null,
    paths,
    confidence: has('confidence') ? (Number(reader.oneOf(v('confidence')!, `${key}.confidence`, ['95', '99'] as const)) as 95 | 99) : 95,
    expect: has('expect') ? reader.list(v('expect')!, `${key}.expect`).map((n) => reader.oneOf(n, `${key}.expect`, VERDICTS)) : ['open', 'reachable'],
  };
}

const familyOf = (text: 'auto' | '4' | '6'): 4 | 6 | null => (text === 'auto' ? null : (Number(text) as 4 | 6));

function readControl(reader: ConfigReader, node: YamlNode, key: string): ProbeSpec | false {
  const text = reader.string(node, key);
  if (text === 'none') return false;
  try {
    return parseMethod(text, key);
  } catch {
    return reader.fail(node, key, `takes icmp, tcp:PORT, udp:PORT or none, not '${text}'`);
  }
}

function readWatch(reader: ConfigReader, node: YamlNode, index: number, modules: Map<string, Module>): WatchConfig {
  const key = `watches[${index}]`;
  const w = reader.map(node, key, ['target', 'module', 'interval', 'name']);
  const need = (k: string) => w.get(k)?.value ?? reader.fail(node, `${key}.${k}`, 'is required');
  const moduleName = reader.string(need('module'), `${key}.module`);
  const module = modules.get(moduleName) ?? reader.fail(need('module'), `${key}.module`, `no module is named '${moduleName}'`);
  if (module.paths) reader.fail(need('module'), `${key}.module`, `'${moduleName}' is a multipath module (paths: true), which only /probe runs`);
  const targetText = reader.string(need('target'), `${key}.target`);
  const target = parseTarget(targetText, module);
  if (typeof target === 'string') reader.fail(need('target'), `${key}.target`, target);
  return {
    name: w.has('name') ? reader.string(w.get('name')!.value, `${key}.name`) : `${targetText}/${moduleName}`,
    target,
    module,
    intervalMs: w.has('interval') ? duration(reader, w.get('interval')!.value, `${key}.interval`, MIN_INTERVAL_MS, 3_600_000) : DEFAULT_INTERVAL_MS,
  };
}

/** What a module asks of a trace or a watch of `target` (the one mapping /probe and the watches share). */
export function runOptionsOf(module: Module, target: ProbeTarget): RunOptions {
  return {
    protocol: module.protocol,
    port: target.port,
    family: module.family,
    mode: module.mode,
    probesPerHop: module.probesPerHop,
    firstTtl: module.firstTtl,
    maxTtl: module.maxTtl,
    wait: { maxMs: module.waitMs },
    control: module.control,
    followUp: module.followUp,
    lossTest: module.lossTest,
  };
}

/** Reads and checks a config; every mistake is one PortpathError('ERR_CONFIG') naming file, line and key. */
export function parseConfig(file: string, text: string): ExporterConfig {
  const reader = new ConfigReader(file, text);
  const top = reader.map(reader.root, '', ['modules', 'allow', 'limits', 'watches', 'responder_info']);
  const modules = new Map<string, Module>();
  if (!top.has('modules')) reader.fail(reader.root, 'modules', 'is required: at least one module says how to probe');
  for (const { name, value } of reader.namedMap(top.get('modules')!.value, 'modules')) modules.set(name, readModule(reader, name, value));
  if (modules.size === 0) reader.fail(top.get('modules')!.value, 'modules', 'must name at least one module');
  const limits = top.has('limits') ? reader.map(top.get('limits')!.value, 'limits', ['concurrent_probes', 'min_interval']) : new Map();
  const watches = top.has('watches') ? reader.list(top.get('watches')!.value, 'watches').map((n, i) => readWatch(reader, n, i, modules)) : [];
  const names = new Set<string>();
  watches.forEach((w, i) => {
    if (names.has(w.name)) reader.fail(reader.list(top.get('watches')!.value, 'watches')[i]!, `watches[${i}].name`, `'${w.name}' is used by an earlier watch`);
    names.add(w.name);
  });
  return {
    file,
    modules,
    allow: top.has('allow') ? parseAllowRules(reader, top.get('allow')!.value) : null,
    concurrentProbes: limits.has('concurrent_probes') ? reader.integer(limits.get('concurrent_probes')!.value, 'limits.concurrent_probes', 1, 1000) : 8,
    minIntervalMs: limits.has('min_interval') ? duration(reader, limits.get('min_interval')!.value, 'limits.min_interval', 0, 3_600_000) : 5000,
    watches,
    responderInfo: top.has('responder_info') ? reader.boolean(top.get('responder_info')!.value, 'responder_info') : false,
  };
}

/** Reads the file too; an unreadable file is a config error like any other. */
export async function loadConfig(file: string): Promise<ExporterConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const why = errnoOf(error) === 'ENOENT' ? 'no such file' : errnoOf(error) === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new PortpathError('ERR_CONFIG', `Cannot read the config ${file}: ${why}.`);
  }
  return parseConfig(file, text);
}
