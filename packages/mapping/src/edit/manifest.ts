import { AuthError, quote } from '@iam-authenticator/core';
import { Scalar, YAMLMap, isMap, isScalar, parseDocument } from 'yaml';
import type { Document, Pair } from 'yaml';

/** What the edit path needs of a ConfigMap manifest held in a local file. */
export interface ManifestContent {
  readonly data: Readonly<Record<string, string>>;
  readonly name?: string;
  readonly namespace?: string;
  readonly immutable: boolean;
}

function parseManifest(text: string): Document {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const line = first?.linePos?.[0].line;
    throw new AuthError(
      'mapping_parse_failed',
      `the manifest is not valid yaml${line === undefined ? '' : ` (line ${line})`}: ${first?.message.split('\n')[0] ?? ''}`,
    );
  }
  return doc;
}

/** Reads a ConfigMap manifest; `.data` values must be strings (a missing `|` is refused, as by the API). */
export function readManifest(text: string): ManifestContent {
  const doc = parseManifest(text);
  const value: unknown = doc.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AuthError('mapping_parse_failed', 'the manifest must be a ConfigMap object');
  }
  const object = value as Record<string, unknown>;
  if (object.kind !== undefined && object.kind !== 'ConfigMap') {
    throw new AuthError(
      'mapping_parse_failed',
      `the manifest kind must be "ConfigMap", received ${quote(object.kind)}`,
    );
  }
  const data: Record<string, string> = {};
  const rawData = object.data;
  if (rawData !== undefined && rawData !== null) {
    if (typeof rawData !== 'object' || Array.isArray(rawData)) {
      throw new AuthError('mapping_parse_failed', 'the manifest field data must be a map of strings');
    }
    for (const [key, entry] of Object.entries(rawData as Record<string, unknown>)) {
      if (typeof entry !== 'string') {
        throw new AuthError(
          'mapping_parse_failed',
          `data.${key} must be a string (is a "|" missing?), received ${Array.isArray(entry) ? 'a list' : typeof entry}`,
        );
      }
      data[key] = entry;
    }
  }
  const metadata = object.metadata as Record<string, unknown> | undefined;
  const name = typeof metadata?.name === 'string' ? metadata.name : undefined;
  const namespace = typeof metadata?.namespace === 'string' ? metadata.namespace : undefined;
  return {
    data,
    ...(name === undefined ? {} : { name }),
    ...(namespace === undefined ? {} : { namespace }),
    immutable: object.immutable === true,
  };
}

/** A fresh manifest for a ConfigMap that does not exist yet. */
export function newManifest(name: string, namespace: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n`;
}

/**
 * Rewrites the changed `.data` keys of a manifest, touching only their bytes where the layout allows
 * (block literal `|` and `|-` values in a block `data:` map); otherwise through the Document API.
 */
export function writeManifestData(
  text: string,
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string | undefined>>,
): string {
  let out = text;
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    if (before[key] === after[key]) continue;
    out = setDataKey(out, key, after[key]);
  }
  return out;
}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1;
}

function lineEndAfter(text: string, at: number): number {
  const newline = text.indexOf('\n', at);
  return newline < 0 ? text.length : newline + 1;
}

/** A value that `|` (clip chomping, no indentation indicator) reproduces exactly. */
function fitsBlockLiteral(value: string): boolean {
  return (
    value.length > 1 &&
    value.endsWith('\n') &&
    !value.endsWith('\n\n') &&
    !value.startsWith(' ') &&
    !value.startsWith('\n') &&
    !value.includes('\r') &&
    !/[ \t]\n/.test(value)
  );
}

function indentBlock(value: string, indent: number): string {
  const pad = ' '.repeat(indent);
  return value
    .slice(0, -1)
    .split('\n')
    .map((line) => (line === '' ? '' : pad + line))
    .join('\n')
    .concat('\n');
}

function setDataKey(text: string, key: string, value: string | undefined): string {
  const doc = parseManifest(text);
  const data = doc.get('data', true);
  const pair = isMap(data) ? findPair(data, key) : undefined;
  const spliced = isMap(data) && data.flow !== true ? splice(text, data, pair, key, value) : undefined;
  if (spliced !== undefined) return spliced;
  if (value === undefined) {
    doc.deleteIn(['data', key]);
  } else {
    const node = new Scalar(value);
    if (value.includes('\n')) node.type = Scalar.BLOCK_LITERAL;
    if (!isMap(data) || (data.flow === true && data.items.length === 0)) {
      const map = new YAMLMap();
      doc.set('data', map);
    }
    doc.setIn(['data', key], node);
  }
  return doc.toString({ lineWidth: 0 });
}

function findPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((item) => isScalar(item.key) && item.key.value === key);
}

function splice(
  text: string,
  data: YAMLMap,
  pair: Pair | undefined,
  key: string,
  value: string | undefined,
): string | undefined {
  if (pair !== undefined) {
    const keyRange = isScalar(pair.key) ? pair.key.range : undefined;
    const node = pair.value;
    if (!keyRange || !isScalar(node) || !node.range) return undefined;
    const start = lineStart(text, keyRange[0]);
    if (text.slice(start, keyRange[0]).trim() !== '') return undefined;
    if (value === undefined) {
      return (
        text.slice(0, start) + text.slice(lineEndAfter(text, Math.max(node.range[0], node.range[1] - 1)))
      );
    }
    // `|` (clip) or `|-` (strip, as kubectl writes a value without a final newline): the chomping
    // indicator is set for the new value, and the header's comment is kept.
    const header = /^\|(-?)(\s*(?:#.*)?\n)$/.exec(
      text.slice(node.range[0], lineEndAfter(text, node.range[0])),
    );
    const strip = !value.endsWith('\n');
    const lines = strip ? `${value}\n` : value;
    if (node.type !== Scalar.BLOCK_LITERAL || !header || !fitsBlockLiteral(lines)) return undefined;
    const contentStart = lineEndAfter(text, node.range[0]);
    const body = text.slice(contentStart, node.range[1]);
    const indentMatch = /^( +)\S/m.exec(body);
    const indent = indentMatch?.[1]?.length ?? keyRange[0] - start + 2;
    if (indent <= keyRange[0] - start) return undefined;
    return (
      text.slice(0, node.range[0]) +
      `|${strip ? '-' : ''}${header[2] ?? '\n'}` +
      indentBlock(lines, indent) +
      text.slice(node.range[1])
    );
  }
  if (value === undefined) return text;
  if (!fitsBlockLiteral(value)) return undefined;
  const last = data.items[data.items.length - 1];
  const lastKeyRange = last && isScalar(last.key) ? last.key.range : undefined;
  const lastValueRange = last && isScalar(last.value) ? last.value.range : undefined;
  if (!lastKeyRange || !lastValueRange) return undefined;
  const keyCol = lastKeyRange[0] - lineStart(text, lastKeyRange[0]);
  const at = lineEndAfter(text, Math.max(lastValueRange[0], lastValueRange[1] - 1));
  const before = text.slice(0, at);
  const addition = `${' '.repeat(keyCol)}${key}: |\n${indentBlock(value, keyCol + 2)}`;
  return (before.endsWith('\n') ? before : `${before}\n`) + addition + text.slice(at);
}
