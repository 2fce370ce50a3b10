import { AuthError } from '@iam-authenticator/core';
import {
  Document,
  Scalar,
  isMap,
  isNode,
  isScalar,
  isSeq,
  parseAllDocuments,
  parseDocument,
  stringify,
} from 'yaml';
import type { Node, YAMLMap, YAMLSeq } from 'yaml';
import { AWS_AUTH_YAML } from '../parse-aws-auth.js';
import { findFieldPair } from './entry-fields.js';

/**
 * Text-preserving edits of one aws-auth data value (a YAML list held in a string). Only the bytes of
 * the entry that changes are touched: comments, key spellings, quoting, unknown fields and the
 * order of every other entry stay as they were (DESIGN.md difference 8). Shapes the splicer does not
 * recognise fall back to the `yaml` Document API; the caller re-parses the result and compares it
 * with the intended change either way.
 */

export type EntryValue = string | readonly string[] | Readonly<Record<string, string>>;
/** A new entry: field name → value, in the order it is written. */
export type NewEntry = Readonly<Record<string, EntryValue>>;

export type ListEdit =
  | { readonly op: 'append'; readonly entry: NewEntry | string }
  | { readonly op: 'remove'; readonly indexes: readonly number[] }
  | {
      readonly op: 'update';
      readonly index: number;
      /** Fields to set (folded names); undefined removes the field. */
      readonly set: Readonly<Record<string, string | readonly string[] | undefined>>;
    };

/**
 * A `yaml` parse error on one line: its first line, which names the problem and its line and column
 * (the rest repeats the source with a caret under the spot).
 */
function yamlErrorLine(error: (Error & { code?: string; linePos?: { line: number }[] }) | undefined): string {
  if (error?.code === 'MULTIPLE_DOCS') {
    const line = error.linePos?.[0]?.line;
    return `a second yaml document starts${line === undefined ? '' : ` at line ${line}`} (---); the server reads only the first, so remove it before editing`;
  }
  return `yaml error: ${(error?.message.split('\n')[0] ?? '').replace(/:$/, '')}`;
}

/** Values the reference treats as absent (`isSkippable`). */
export function isSkippableText(text: string | undefined): boolean {
  if (text === undefined) return true;
  const trimmed = text.trim();
  return trimmed === '' || trimmed === '``' || trimmed === '""' || trimmed === "''";
}

/** The plain JS value of a data key's list (first document only, like the reference). */
export function readYamlList(text: string | undefined, options: { textOnly?: boolean } = {}): unknown[] {
  if (isSkippableText(text)) return [];
  // textOnly: every scalar as its source text (mapAccounts keeps leading zeros, like the reference).
  const docs = parseAllDocuments(
    text ?? '',
    options.textOnly === true ? { ...AWS_AUTH_YAML, schema: 'failsafe' } : AWS_AUTH_YAML,
  );
  const first = Array.isArray(docs) ? docs[0] : undefined;
  if (first === undefined) return [];
  if (first.errors.length > 0) {
    throw new AuthError('mapping_parse_failed', yamlErrorLine(first.errors[0]));
  }
  const value: unknown = first.toJS();
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new AuthError('mapping_parse_failed', `expected a yaml list, received ${typeof value}`);
  }
  return value as unknown[];
}

/** Renders a scalar so that the reference's YAML 1.1 reader gets the same string back. */
export function renderScalar(value: string): string {
  return stringify(value, { ...AWS_AUTH_YAML, lineWidth: 0 }).trimEnd();
}

export function applyListEdit(text: string | undefined, edit: ListEdit): string {
  const source = isSkippableText(text) ? '' : (text ?? '');
  const doc = parseDocument(source, AWS_AUTH_YAML);
  if (doc.errors.length > 0) {
    throw new AuthError('mapping_parse_failed', yamlErrorLine(doc.errors[0]));
  }
  const contents = doc.contents;
  if (contents !== null && !isSeq(contents)) {
    throw new AuthError('mapping_parse_failed', 'expected a yaml list to edit');
  }
  switch (edit.op) {
    case 'append':
      return appendEntry(source, doc, contents, edit.entry);
    case 'remove':
      return removeEntries(source, doc, contents, edit.indexes);
    case 'update':
      return updateEntry(source, doc, contents, edit.index, edit.set);
  }
}

interface ItemLayout {
  /** Column of the `-`. */
  readonly dashCol: number;
  /** Column where the item's content starts (after `- `). */
  readonly contentCol: number;
  /** Indent of a nested list relative to its key's column. */
  readonly nestedIndent: number;
}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1;
}

function lineEndAfter(text: string, at: number): number {
  const newline = text.indexOf('\n', at);
  return newline < 0 ? text.length : newline + 1;
}

/** Where an item's text ends: just after the newline of its last line. */
function itemEnd(text: string, node: Node): number {
  const range = node.range;
  if (!range) throw new AuthError('internal_error', 'yaml node without a source range');
  return lineEndAfter(text, Math.max(range[0], range[1] - 1));
}

/** The start of the `- ` line of a block list item, or undefined when the shape is unusual. */
function itemStart(text: string, node: Node): number | undefined {
  const range = node.range;
  if (!range) return undefined;
  const start = lineStart(text, range[0]);
  return /^ *- +$/.test(text.slice(start, range[0])) ? start : undefined;
}

function layoutOf(text: string, seq: YAMLSeq): ItemLayout | undefined {
  if (seq.flow === true) return undefined;
  let found: ItemLayout | undefined;
  for (const item of seq.items) {
    if (!isMap(item) && !isScalar(item)) return undefined;
    const start = itemStart(text, item);
    const range = item.range;
    if (start === undefined || !range) return undefined;
    const prefix = text.slice(start, range[0]);
    const layout = {
      dashCol: prefix.indexOf('-'),
      contentCol: prefix.length,
      nestedIndent: nestedIndentOf(text, item, prefix.length),
    };
    found ??= layout;
  }
  return found;
}

function nestedIndentOf(text: string, item: unknown, contentCol: number): number {
  if (!isMap(item)) return 2;
  for (const pair of item.items) {
    const value = pair.value;
    if (isSeq(value) && value.flow !== true && value.items.length > 0) {
      const first = value.items[0] as Node | undefined;
      const keyRange = isScalar(pair.key) ? pair.key.range : undefined;
      if (!first?.range || !keyRange) continue;
      const keyCol = keyRange[0] - lineStart(text, keyRange[0]);
      const dashAt = lineStart(text, first.range[0]);
      const dashCol = text.slice(dashAt, first.range[0]).indexOf('-');
      if (dashCol >= 0 && keyCol === contentCol) return Math.max(0, dashCol - keyCol);
    }
  }
  return 2;
}

function renderEntry(entry: NewEntry | string, layout: ItemLayout): string {
  const dash = `${' '.repeat(layout.dashCol)}-${' '.repeat(Math.max(1, layout.contentCol - layout.dashCol - 1))}`;
  if (typeof entry === 'string') return `${dash}${renderScalar(entry)}\n`;
  const pad = ' '.repeat(layout.contentCol);
  const lines: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (typeof value === 'string') {
      lines.push(`${key}: ${renderScalar(value)}`);
    } else if (Array.isArray(value)) {
      const items = value as readonly string[];
      if (items.length === 0) {
        lines.push(`${key}: []`);
      } else {
        lines.push(`${key}:`);
        for (const item of items) lines.push(`${' '.repeat(layout.nestedIndent)}- ${renderScalar(item)}`);
      }
    } else {
      lines.push(`${key}:`);
      for (const [inner, innerValue] of Object.entries(value as Record<string, string>)) {
        lines.push(`  ${inner}: ${renderScalar(innerValue)}`);
      }
    }
  }
  return lines.map((line, index) => (index === 0 ? dash + line : pad + line)).join('\n') + '\n';
}

const DEFAULT_LAYOUT: ItemLayout = { dashCol: 0, contentCol: 2, nestedIndent: 2 };

function appendEntry(text: string, doc: Document, seq: YAMLSeq | null, entry: NewEntry | string): string {
  if (seq === null) {
    // Blank or comments only: the entry goes after them.
    const base = text.length > 0 && !text.endsWith('\n') ? `${text}\n` : text;
    return base + renderEntry(entry, DEFAULT_LAYOUT);
  }
  const range = seq.range;
  if (seq.items.length === 0 && seq.flow === true && range) {
    const rendered = renderEntry(entry, DEFAULT_LAYOUT);
    const rest = text.slice(range[1]);
    return text.slice(0, range[0]) + (rest.startsWith('\n') ? rendered.slice(0, -1) : rendered) + rest;
  }
  const flow = seq.flow === true ? appendToFlow(text, seq, entry) : undefined;
  if (flow !== undefined) return flow;
  const layout = layoutOf(text, seq);
  const last = seq.items[seq.items.length - 1] as Node | undefined;
  if (layout === undefined || last === undefined) {
    seq.items.push(doc.createNode(entry));
    return doc.toString({ lineWidth: 0 });
  }
  const at = itemEnd(text, last);
  const before = text.slice(0, at);
  return (before.endsWith('\n') ? before : `${before}\n`) + renderEntry(entry, layout) + text.slice(at);
}

function removeEntries(text: string, doc: Document, seq: YAMLSeq | null, indexes: readonly number[]): string {
  if (seq === null) throw new AuthError('internal_error', 'nothing to remove from an empty list');
  const sorted = [...new Set(indexes)].sort((a, b) => b - a);
  if (seq.flow === true) {
    const flow = removeFromFlow(text, seq, sorted);
    if (flow !== undefined) return flow;
  }
  const spliceable = seq.flow !== true && sorted.every((index) => spliceRange(text, seq, index));
  if (!spliceable) {
    for (const index of sorted) seq.items.splice(index, 1);
    return doc.toString({ lineWidth: 0 });
  }
  let out = text;
  for (const index of sorted) {
    const span = spliceRange(text, seq, index);
    if (span) out = out.slice(0, span[0]) + out.slice(span[1]);
  }
  return out.trim() === '' ? '' : out;
}

/**
 * The source spans of a flow list's items (`["111122223333", 012345678901]`, or JSON), when every item is
 * a scalar or a flow map; undefined for anything else. Edits are spliced into the text, so items keep
 * their spelling: re-rendering would write 012345678901 as the number 12345678901.
 */
function flowItemSpans(seq: YAMLSeq): [number, number][] | undefined {
  const spans: [number, number][] = [];
  for (const item of seq.items) {
    if (!(isScalar(item) || (isMap(item) && item.flow === true)) || !item.range) return undefined;
    spans.push([item.range[0], item.range[1]]);
  }
  return spans;
}

/** Appends after a flow list's last item, written as JSON (which YAML reads as a flow item). */
function appendToFlow(text: string, seq: YAMLSeq, entry: NewEntry | string): string | undefined {
  const spans = flowItemSpans(seq);
  const last = spans?.[spans.length - 1];
  if (last === undefined) return undefined;
  const rendered = typeof entry === 'string' ? renderScalar(entry) : JSON.stringify(entry);
  return `${text.slice(0, last[1])}, ${rendered}${text.slice(last[1])}`;
}

/**
 * Removes items from a flow list with the commas that join them: each run of removed items goes up to
 * the next kept item, or, at the end of the list, from the end of the kept item before it.
 */
function removeFromFlow(text: string, seq: YAMLSeq, indexes: readonly number[]): string | undefined {
  const spans = flowItemSpans(seq);
  if (spans === undefined || indexes.some((index) => spans[index] === undefined)) return undefined;
  const removed = new Set(indexes);
  if (removed.size === spans.length) {
    const range = seq.range;
    return range ? `${text.slice(0, range[0])}[]${text.slice(range[1])}` : undefined;
  }
  const cuts: [number, number][] = [];
  for (let first = 0; first < spans.length; first++) {
    if (!removed.has(first) || removed.has(first - 1)) continue;
    let last = first;
    while (removed.has(last + 1)) last++;
    const next = spans[last + 1];
    const before = spans[first - 1];
    const from = next !== undefined ? spans[first]?.[0] : before?.[1];
    const to = next !== undefined ? next[0] : spans[last]?.[1];
    if (from === undefined || to === undefined) return undefined;
    cuts.push([from, to]);
  }
  let out = text;
  for (const [from, to] of cuts.reverse()) out = out.slice(0, from) + out.slice(to);
  return out;
}

function spliceRange(text: string, seq: YAMLSeq, index: number): [number, number] | undefined {
  const item = seq.items[index] as Node | undefined;
  if (item === undefined) return undefined;
  const start = itemStart(text, item);
  return start === undefined ? undefined : [start, itemEnd(text, item)];
}

function updateEntry(
  text: string,
  doc: Document,
  seq: YAMLSeq | null,
  index: number,
  set: Readonly<Record<string, string | readonly string[] | undefined>>,
): string {
  const item = seq?.items[index];
  if (!isMap(item)) throw new AuthError('internal_error', `entry ${index} is not a mapping`);
  const map: YAMLMap = item;
  const inPlace = seq?.flow === true ? undefined : replaceScalarsInPlace(text, map, set);
  if (inPlace !== undefined) return inPlace;
  for (const [field, value] of Object.entries(set)) {
    const pair = findFieldPair(map, field);
    if (value === undefined) {
      if (pair) map.items.splice(map.items.indexOf(pair), 1);
      continue;
    }
    if (typeof value === 'string') {
      if (pair && isScalar(pair.value)) pair.value.value = value;
      else if (pair) pair.value = keepComments(pair.value, doc.createNode(value));
      else map.add(doc.createPair(field, value));
      continue;
    }
    const node = doc.createNode([...value]);
    if (pair && isSeq(pair.value)) {
      node.flow = pair.value.flow === true && value.length > 0;
      pair.value = keepComments(pair.value, node);
    } else if (pair) {
      pair.value = keepComments(pair.value, node);
    } else {
      map.add(doc.createPair(field, node));
    }
  }
  const start = itemStart(text, map);
  const range = map.range;
  if (start === undefined || !range || seq?.flow === true) return doc.toString({ lineWidth: 0 });
  const contentCol = range[0] - start;
  // The comment above the entry stays where it is in the text, and so does a comment after its last line
  // that the parser gave the entry but left outside its range: rendered too, it would be there twice.
  map.commentBefore = null;
  if (map.comment && range[2] > range[1]) map.comment = null;
  const single = new Document(map, AWS_AUTH_YAML);
  const rendered = single.toString({ lineWidth: 0 });
  const pad = ' '.repeat(contentCol);
  const lines = rendered.replace(/\n$/, '').split('\n');
  const indented = lines.map((line, i) => (i === 0 || line === '' ? line : pad + line)).join('\n') + '\n';
  return text.slice(0, range[0]) + indented + text.slice(itemEnd(text, map));
}

/**
 * An update that only gives existing one-line scalars new values (a new username, say) is written over
 * those values alone: the rest of the entry, with its comments and layout, stays byte for byte.
 * Undefined when the update is of another kind.
 */
function replaceScalarsInPlace(
  text: string,
  map: YAMLMap,
  set: Readonly<Record<string, string | readonly string[] | undefined>>,
): string | undefined {
  const spans: [number, number, string][] = [];
  for (const [field, value] of Object.entries(set)) {
    const node = typeof value === 'string' ? findFieldPair(map, field)?.value : undefined;
    if (!isScalar(node) || !node.range) return undefined;
    const [from, to] = node.range;
    if (!IN_PLACE_TYPES.has(node.type ?? '') || text.slice(from, to).includes('\n')) return undefined;
    spans.push([from, to, renderScalar(value as string)]);
  }
  spans.sort((a, b) => b[0] - a[0]);
  let out = text;
  for (const [from, to, rendered] of spans) out = out.slice(0, from) + rendered + out.slice(to);
  return out;
}

const IN_PLACE_TYPES: ReadonlySet<string> = new Set([Scalar.PLAIN, Scalar.QUOTE_DOUBLE, Scalar.QUOTE_SINGLE]);

/** `replacement` with the comments of the value it replaces (`groups: # admins` keeps `# admins`). */
function keepComments(old: unknown, replacement: Node): Node {
  if (isNode(old)) {
    replacement.commentBefore = old.commentBefore ?? null;
    replacement.comment = old.comment ?? null;
  }
  return replacement;
}
