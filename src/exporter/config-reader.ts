// Walks a parsed YAML document and says where it is wrong: every error names the file, the line and the key
// ("portpath.yml:12: modules.tcp_443.port: ..."), because an operator fixes a config from that line, not from a
// stack trace. Only the shapes the exporter's config uses: maps with known keys, scalars, lists of scalars.
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Node, Pair } from 'yaml';
import { PortpathError } from '../transport/errors.js';

export type YamlNode = Node | null;

export class ConfigReader {
  private readonly lines = new LineCounter();
  readonly root: YamlNode;

  constructor(
    readonly file: string,
    text: string,
  ) {
    const doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false });
    const first = doc.errors[0];
    if (first) {
      const line = first.pos?.[0] !== undefined ? this.lines.linePos(first.pos[0]).line : null;
      throw new PortpathError('ERR_CONFIG', `${file}${line ? `:${line}` : ''}: not valid YAML: ${first.message.split('\n')[0]}`);
    }
    this.root = (doc.contents as Node | null) ?? null;
  }

  /** The line of a node (the file's first line when the node is missing). */
  lineOf(node: YamlNode): number {
    const start = node?.range?.[0];
    return start === undefined ? 1 : this.lines.linePos(start).line;
  }

  fail(node: YamlNode, key: string, message: string): never {
    throw new PortpathError('ERR_CONFIG', `${this.file}:${this.lineOf(node)}: ${key}: ${message}`);
  }

  /** A map's entries by key; unknown keys are errors (a typo must not silently mean the default). */
  map(node: YamlNode, key: string, known: readonly string[]): Map<string, { key: YamlNode; value: YamlNode }> {
    if (!isMap(node)) this.fail(node, key, 'must be a map of keys to values');
    const entries = new Map<string, { key: YamlNode; value: YamlNode }>();
    for (const pair of node.items as Pair<Node, Node | null>[]) {
      const name = isScalar(pair.key) ? String(pair.key.value) : null;
      if (name === null) this.fail(pair.key, key, 'keys must be plain names');
      const where = key === '' ? name : `${key}.${name}`;
      if (known.length > 0 && !known.includes(name)) this.fail(pair.key, where, `unknown key (known: ${known.join(', ')})`);
      entries.set(name, { key: pair.key, value: pair.value ?? null });
    }
    return entries;
  }

  /** A map whose keys are the user's names (modules): each name and its value. */
  namedMap(node: YamlNode, key: string): { name: string; key: YamlNode; value: YamlNode }[] {
    return [...this.map(node, key, []).entries()].map(([name, entry]) => ({ name, ...entry }));
  }

  list(node: YamlNode, key: string): YamlNode[] {
    if (!isSeq(node)) this.fail(node, key, 'must be a list');
    return node.items as YamlNode[];
  }

  scalar(node: YamlNode, key: string): unknown {
    if (!isScalar(node)) this.fail(node, key, 'must be a single value');
    return node.value;
  }

  string(node: YamlNode, key: string): string {
    const value = this.scalar(node, key);
    if (typeof value === 'number') return String(value);
    if (typeof value !== 'string' || value === '') this.fail(node, key, 'must be a non-empty string');
    return value;
  }

  boolean(node: YamlNode, key: string): boolean {
    const value = this.scalar(node, key);
    if (typeof value !== 'boolean') this.fail(node, key, `must be true or false, not '${String(value)}'`);
    return value;
  }

  integer(node: YamlNode, key: string, min: number, max: number): number {
    const value = this.scalar(node, key);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(node, key, `must be a whole number from ${min} to ${max}, not '${String(value)}'`);
    }
    return value;
  }

  oneOf<T extends string>(node: YamlNode, key: string, choices: readonly T[]): T {
    const value = String(this.scalar(node, key));
    if (!(choices as readonly string[]).includes(value)) this.fail(node, key, `must be one of ${choices.join(', ')}, not '${value}'`);
    return value as T;
  }
}
