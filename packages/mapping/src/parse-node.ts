import { isCollection, isMap, isScalar, isSeq, isAlias } from 'yaml';
import type { LineCounter, Document } from 'yaml';

/**
 * A neutral tree that both sources of mappings are turned into before decoding: YAML text from aws-auth
 * (with line numbers and scalar source text) and already-parsed values from the server config file.
 */
export type DataNode =
  | { readonly kind: 'map'; readonly pairs: readonly (readonly [string, DataNode])[]; readonly line?: number }
  | { readonly kind: 'seq'; readonly items: readonly DataNode[]; readonly line?: number }
  | {
      readonly kind: 'scalar';
      /** The resolved value: string, number, boolean, bigint, Date, … */
      readonly value: unknown;
      /** The scalar's source text when it was written plain (unquoted) in YAML. */
      readonly plainSource?: string;
      /** The scalar spans more than one source line. */
      readonly multiline?: boolean;
      readonly line?: number;
    }
  | { readonly kind: 'null'; readonly line?: number };

export class InvalidMapKeyError extends Error {
  readonly line: number | undefined;
  constructor(message: string, line: number | undefined) {
    super(message);
    this.line = line;
  }
}

/**
 * Converts a YAML document to a DataNode. A map key that is not a scalar (an unquoted leading
 * `{{SessionName}}` is a flow mapping used as a key) makes the reference's YAML→JSON step fail for the
 * whole key (identity-mapping.md §6), so it throws InvalidMapKeyError here.
 */
export function fromYaml(doc: Document.Parsed, lineCounter: LineCounter): DataNode {
  const lineOf = (node: { range?: unknown } | null | undefined): number | undefined => {
    const range = node?.range;
    if (!Array.isArray(range) || typeof range[0] !== 'number') return undefined;
    return lineCounter.linePos(range[0]).line;
  };
  const seen = new Set<unknown>();
  const convert = (node: unknown): DataNode => {
    if (node === null || node === undefined) return { kind: 'null' };
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (target === undefined || seen.has(target)) return { kind: 'null', ...opt(lineOf(node)) };
      seen.add(target);
      try {
        return convert(target);
      } finally {
        seen.delete(target);
      }
    }
    if (isScalar(node)) {
      const line = lineOf(node);
      if (node.value === null || node.value === undefined) return { kind: 'null', ...opt(line) };
      const plain = node.type === 'PLAIN' && typeof node.source === 'string' ? node.source : undefined;
      const end = node.range?.[1];
      const multiline = line !== undefined && end !== undefined && lineCounter.linePos(end).line > line;
      return {
        kind: 'scalar',
        value: node.value,
        ...(plain === undefined ? {} : { plainSource: plain }),
        ...(multiline ? { multiline } : {}),
        ...opt(line),
      };
    }
    if (isMap(node)) {
      const pairs: (readonly [string, DataNode])[] = [];
      for (const pair of node.items) {
        const keyNode: unknown = pair.key;
        let key: string;
        if (keyNode === null || keyNode === undefined) {
          key = '';
        } else if (isScalar(keyNode)) {
          key = keyNode.value === null || keyNode.value === undefined ? '' : scalarText(keyNode.value);
        } else if (isCollection(keyNode) || isAlias(keyNode)) {
          const line = lineOf(keyNode);
          throw new InvalidMapKeyError(
            'invalid map key: a value that starts with "{" is a YAML flow mapping; quote values such as "{{SessionName}}"',
            line,
          );
        } else {
          key = scalarText(keyNode);
        }
        pairs.push([key, convert(pair.value)]);
      }
      return { kind: 'map', pairs, ...opt(lineOf(node)) };
    }
    if (isSeq(node)) {
      return { kind: 'seq', items: node.items.map(convert), ...opt(lineOf(node)) };
    }
    return { kind: 'scalar', value: node };
  };
  return convert(doc.contents);
}

/** Converts an already-parsed JavaScript value (server config file) to a DataNode. */
export function fromValue(value: unknown): DataNode {
  if (value === null || value === undefined) return { kind: 'null' };
  if (Array.isArray(value)) return { kind: 'seq', items: value.map(fromValue) };
  if (typeof value === 'object' && !(value instanceof Date)) {
    if (value instanceof Map) {
      return {
        kind: 'map',
        pairs: [...(value as Map<unknown, unknown>).entries()].map(
          ([k, v]) => [scalarText(k), fromValue(v)] as const,
        ),
      };
    }
    return {
      kind: 'map',
      pairs: Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, fromValue(v)] as const),
    };
  }
  return { kind: 'scalar', value };
}

function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (value instanceof Date) return value.toISOString();
  const json = JSON.stringify(value) as string | undefined;
  return json ?? '';
}

function opt(line: number | undefined): { line?: number } {
  return line === undefined ? {} : { line };
}

/** A short description of a node's type for messages ("a list", "a number", …). */
export function describeNode(node: DataNode): string {
  switch (node.kind) {
    case 'map':
      return 'a mapping';
    case 'seq':
      return 'a list';
    case 'null':
      return 'null';
    case 'scalar': {
      const value = node.value;
      if (typeof value === 'string') return 'a string';
      if (typeof value === 'number' || typeof value === 'bigint') return `the number ${String(value)}`;
      if (typeof value === 'boolean') return `the boolean ${String(value)}`;
      if (value instanceof Date) return 'a timestamp';
      return 'a scalar';
    }
  }
}
