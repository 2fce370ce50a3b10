import type { DataNode } from './parse-node.js';

/**
 * A fast reader for the plain layout almost every aws-auth uses (a block list of `key: value` entries,
 * `groups` as a block or flow list, `sso` as a nested block, one-line plain or simply quoted scalars).
 * It returns exactly the DataNode the full YAML path would build, line numbers included, or `undefined`
 * as soon as anything falls outside that subset (comments after values, anchors, tags, multi-line
 * scalars, escapes, numbers or YAML 1.1 words such as `yes` where a string is expected, …), and the
 * caller then uses the `yaml` package. A differential test holds both paths equal.
 */
export function fastParseYaml(text: string): DataNode | undefined {
  if (text.includes('\t') || text.includes('\r') || text.charCodeAt(0) === 0xfeff) return undefined;
  const lines = text.split('\n');
  const reader = new Reader(lines);
  try {
    const node = reader.topSequence();
    return node;
  } catch (err) {
    if (err === BAIL) return undefined;
    throw err;
  }
}

const BAIL = Symbol('bail');

function bail(): never {
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- a sentinel, caught right above
  throw BAIL;
}

/** YAML 1.1 words that resolve to booleans or null (go-yaml v2 and the `yaml` package's 1.1 schema). */
const SPECIAL_WORDS = new Set(
  ['y', 'yes', 'n', 'no', 'true', 'false', 'on', 'off', 'null'].flatMap((w) => [
    w,
    w.toUpperCase(),
    `${w.slice(0, 1).toUpperCase()}${w.slice(1)}`,
  ]),
);

/** A plain scalar that is certainly a string, on one line. */
const SAFE_PLAIN = /^[A-Za-z_/][^\s#]*(?: +[^\s#]+)*$/;
const DIGITS = /^[0-9]+$/;
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

interface Line {
  readonly indent: number;
  readonly content: string;
  /** 1-based. */
  readonly number: number;
}

class Reader {
  private at = 0;
  private readonly lines: readonly string[];
  constructor(lines: readonly string[]) {
    this.lines = lines;
  }

  /** The next line with content (blank and whole-line comments skipped), without consuming it. */
  private peek(): Line | undefined {
    while (this.at < this.lines.length) {
      const raw = this.lines[this.at] ?? '';
      const content = raw.trimStart();
      if (content === '' || content.startsWith('#')) {
        this.at += 1;
        continue;
      }
      return { indent: raw.length - content.length, content: content.trimEnd(), number: this.at + 1 };
    }
    return undefined;
  }

  private next(): void {
    this.at += 1;
  }

  topSequence(): DataNode {
    const first = this.peek();
    if (first === undefined || !isItem(first.content)) bail();
    const column = first.indent;
    const items: DataNode[] = [];
    for (let line = this.peek(); line !== undefined; line = this.peek()) {
      if (line.indent !== column || !isItem(line.content)) bail();
      items.push(this.topItem(line));
    }
    return { kind: 'seq', items, line: first.number };
  }

  private topItem(line: Line): DataNode {
    const rest = line.content.slice(1);
    const spaces = rest.length - rest.trimStart().length;
    const body = rest.trimStart();
    if (body === '') bail();
    const keyColumn = line.indent + 1 + spaces;
    const pair = splitPair(body);
    if (pair === undefined) {
      this.next();
      return scalarOrBail(body, line.number, true);
    }
    const pairs: (readonly [string, DataNode])[] = [];
    this.next();
    pairs.push([pair.key, this.value(pair.value, keyColumn, line.number)]);
    for (let l = this.peek(); l !== undefined && l.indent === keyColumn; l = this.peek()) {
      if (isItem(l.content)) bail();
      const p = splitPair(l.content);
      if (p === undefined) bail();
      this.next();
      pairs.push([p.key, this.value(p.value, keyColumn, l.number)]);
    }
    const after = this.peek();
    if (after !== undefined && after.indent !== line.indent) bail();
    return { kind: 'map', pairs, line: line.number };
  }

  /** The value after `key:` on line `number`; an empty one may open a nested block on the next lines. */
  private value(inline: string, keyColumn: number, number: number): DataNode {
    if (inline !== '') {
      if (inline.startsWith('[')) return flowSequence(inline, number);
      return scalarOrBail(inline, number, false);
    }
    const next = this.peek();
    if (next === undefined || next.indent < keyColumn) return { kind: 'null', line: number };
    if (next.indent === keyColumn) {
      return isItem(next.content)
        ? this.scalarSequence(next.indent, keyColumn)
        : { kind: 'null', line: number };
    }
    return isItem(next.content)
      ? this.scalarSequence(next.indent, keyColumn)
      : this.nestedMap(next.indent, keyColumn);
  }

  /** A block list of one-line scalars at `column`, the value of a key at `keyColumn`. */
  private scalarSequence(column: number, keyColumn: number): DataNode {
    const items: DataNode[] = [];
    let first: number | undefined;
    for (let l = this.peek(); l !== undefined && l.indent === column && isItem(l.content); l = this.peek()) {
      const body = l.content.slice(1).trimStart();
      if (body === '' || splitPair(body) !== undefined) bail();
      first ??= l.number;
      this.next();
      items.push(scalarOrBail(body, l.number, false));
    }
    // Anything deeper than the key that is not an item could continue a multi-line scalar.
    const after = this.peek();
    if (after !== undefined && after.indent > keyColumn) bail();
    return { kind: 'seq', items, ...(first === undefined ? {} : { line: first }) };
  }

  private nestedMap(column: number, parentColumn: number): DataNode {
    const pairs: (readonly [string, DataNode])[] = [];
    let first: number | undefined;
    for (let l = this.peek(); l !== undefined && l.indent === column; l = this.peek()) {
      if (isItem(l.content)) bail();
      const p = splitPair(l.content);
      if (p === undefined || p.value === '' || p.value.startsWith('[')) bail();
      first ??= l.number;
      this.next();
      pairs.push([p.key, scalarOrBail(p.value, l.number, false)]);
    }
    const after = this.peek();
    if (after !== undefined && after.indent > parentColumn) bail();
    return { kind: 'map', pairs, ...(first === undefined ? {} : { line: first }) };
  }
}

function isItem(content: string): boolean {
  return content === '-' || content.startsWith('- ');
}

/** `key: value` with a plain or double-quoted key; undefined when the text is not a pair. */
function splitPair(content: string): { key: string; value: string } | undefined {
  let key: string;
  let rest: string;
  if (content.startsWith('"')) {
    const end = content.indexOf('"', 1);
    if (end < 0) bail();
    key = content.slice(1, end);
    if (key.includes('\\')) bail();
    rest = content.slice(end + 1);
    if (!rest.startsWith(':')) return undefined;
    rest = rest.slice(1);
  } else {
    const colon = content.indexOf(': ');
    if (colon < 0) {
      if (!content.endsWith(':')) return undefined;
      key = content.slice(0, -1);
      rest = '';
    } else {
      key = content.slice(0, colon);
      rest = content.slice(colon + 1);
    }
    if (!PLAIN_KEY.test(key) || SPECIAL_WORDS.has(key)) bail();
  }
  if (rest !== '' && !rest.startsWith(' ')) bail();
  return { key, value: rest.trim() };
}

function scalarOrBail(text: string, line: number, digitsAllowed: boolean): DataNode {
  if (text.startsWith('"')) {
    if (text.length < 2 || !text.endsWith('"')) bail();
    const inner = text.slice(1, -1);
    if (inner.includes('"') || inner.includes('\\')) bail();
    return { kind: 'scalar', value: inner, line };
  }
  if (text.startsWith("'")) {
    if (text.length < 2 || !text.endsWith("'")) bail();
    const inner = text.slice(1, -1);
    if (inner.includes("'")) bail();
    return { kind: 'scalar', value: inner, line };
  }
  if (digitsAllowed && DIGITS.test(text) && text.length <= 15) {
    // Only mapAccounts-style items: the decoder keeps the source text of a plain number.
    return { kind: 'scalar', value: decimalOrOctal(text), plainSource: text, line };
  }
  if (!SAFE_PLAIN.test(text) || SPECIAL_WORDS.has(text) || text.includes(': ') || text.endsWith(':')) bail();
  return { kind: 'scalar', value: text, plainSource: text, line };
}

/** How the `yaml` package's 1.1 schema reads a run of digits (a leading 0 means octal when it can). */
function decimalOrOctal(text: string): number {
  if (text.length > 1 && text.startsWith('0')) {
    if (/^0[0-7]+$/.test(text)) return parseInt(text.slice(1), 8);
    return parseFloat(text);
  }
  return parseInt(text, 10);
}

/** `[a, "b", c]` on one line, items plain-safe or simply quoted. */
function flowSequence(text: string, line: number): DataNode {
  if (!text.endsWith(']')) bail();
  const inner = text.slice(1, -1).trim();
  if (inner === '') return { kind: 'seq', items: [], line };
  if (/[[\]{}#]/.test(inner)) bail();
  const items = inner.split(',').map((part) => {
    const item = part.trim();
    if (item === '') bail();
    return scalarOrBail(item, line, false);
  });
  return { kind: 'seq', items, line };
}
