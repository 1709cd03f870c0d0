// What /probe may aim at. An exporter reachable by anyone who can send it a GET must not become a way to make
// this host probe arbitrary networks: a target is probed only when the config allows its host (by name, by
// "*.domain", or by address in a CIDR: a name is then resolved once and that address is what gets probed) and its
// port. Without an allow section, only the watches' own targets may be probed.
import { addressFamily, canonicalAddress, inPrefix } from '../packet/address.js';
import type { ConfigReader, YamlNode } from './config-reader.js';
import type { ProbeTarget } from './target.js';

export interface AllowRules {
  /** Lower-case names without a trailing dot; "*.example.com" allows every name under example.com. */
  names: string[];
  prefixes: string[];
  /** Inclusive port ranges; empty: any port. */
  ports: [number, number][];
}

const normalName = (name: string) => name.toLowerCase().replace(/\.$/, '');

function readHostRule(reader: ConfigReader, node: YamlNode, key: string, rules: AllowRules): void {
  const text = reader.string(node, key);
  const [base, length, extra] = text.split('/');
  if (length !== undefined) {
    const family = addressFamily(base!);
    const max = family === 4 ? 32 : 128;
    if (family === null || extra !== undefined || !/^\d{1,3}$/.test(length) || Number(length) > max) reader.fail(node, key, `'${text}' is not a CIDR such as 198.18.0.0/15 or 2001:db8::/32`);
    rules.prefixes.push(`${canonicalAddress(base!)}/${Number(length)}`);
  } else if (addressFamily(text) !== null) {
    rules.prefixes.push(`${canonicalAddress(text)}/${addressFamily(text) === 4 ? 32 : 128}`);
  } else if (/^(\*\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/.test(text)) {
    rules.names.push(normalName(text));
  } else {
    reader.fail(node, key, `'${text}' is not a host name, '*.domain', an address or a CIDR`);
  }
}

function readPortRule(reader: ConfigReader, node: YamlNode, key: string): [number, number] {
  const text = String(reader.scalar(node, key));
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  const low = Number(match?.[1]);
  const high = match?.[2] === undefined ? low : Number(match[2]);
  if (!match || low < 1 || high > 65535 || low > high) reader.fail(node, key, `'${text}' is not a port or a range such as 8000-8100`);
  return [low, high];
}

export function parseAllowRules(reader: ConfigReader, node: YamlNode): AllowRules {
  const allow = reader.map(node, 'allow', ['targets', 'ports']);
  const rules: AllowRules = { names: [], prefixes: [], ports: [] };
  const targets = allow.get('targets');
  if (!targets) reader.fail(node, 'allow.targets', 'is required: the hosts, addresses or CIDRs /probe may aim at');
  for (const item of reader.list(targets.value, 'allow.targets')) readHostRule(reader, item, 'allow.targets', rules);
  const ports = allow.get('ports');
  if (ports) rules.ports = reader.list(ports.value, 'allow.ports').map((item) => readPortRule(reader, item, 'allow.ports'));
  return rules;
}

/** Whether the rules let a name (before resolving) through on its own. */
export function allowsName(rules: AllowRules, host: string): boolean {
  const name = normalName(host);
  return rules.names.some((rule) => (rule.startsWith('*.') ? name.endsWith(rule.slice(1)) : name === rule));
}

export function allowsAddress(rules: AllowRules, address: string): boolean {
  return rules.prefixes.some((prefix) => inPrefix(canonicalAddress(address), prefix));
}

export function allowsPort(rules: AllowRules, port: number | null): boolean {
  return port === null || rules.ports.length === 0 || rules.ports.some(([low, high]) => port >= low && port <= high);
}

/** The rules that stand when the config has no allow section: exactly the watches' targets. */
export function watchTargetsOnly(targets: readonly ProbeTarget[]): (target: ProbeTarget) => boolean {
  const keys = new Set(targets.map((t) => `${normalName(canonicalAddress(t.host))}|${t.port}`));
  return (target) => keys.has(`${normalName(canonicalAddress(target.host))}|${target.port}`);
}
