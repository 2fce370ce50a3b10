import { FAILSAFE_SCHEMA, Type, load } from 'js-yaml';
import { Document, isScalar } from 'yaml';
import type { ScalarTag } from 'yaml';
import type { DataNode } from './parse-node.js';

/**
 * The fast path of parseAwsAuth: js-yaml reads the text (the `yaml` package's document model takes
 * 300–600 ms on a 1 MiB aws-auth), and the result is turned into the same DataNode the full path
 * builds, without line numbers. Returns `undefined` for anything js-yaml rejects or that it would read
 * differently from the full path; the caller also falls back whenever decoding this tree reports an
 * issue, so issues always come from the full path, with their lines. A differential test holds both
 * paths equal.
 */
export function fastParseYaml(text: string): DataNode | undefined {
  if (UNUSUAL.test(text)) return undefined;
  let value: unknown;
  try {
    // js-yaml throws on a second document and on duplicate keys; the full path reports both.
    value = load(text, { schema: SCHEMA });
  } catch {
    return undefined;
  }
  return toNode(value, new Set());
}

/**
 * Text js-yaml would read differently from the full path: `%` directives (`%YAML 1.2` changes the
 * schema there), tabs (the `yaml` package is stricter about them), and a flow collection or an explicit
 * `?` used as a map key (js-yaml turns `[rolearn]: x` into the key "rolearn", the full path rejects it).
 */
const UNUSUAL = /^%|\t|[\]}]\s*:|(?:^|\s)\?(?:\s|$)/m;

/** A plain scalar that YAML 1.1 reads as something other than a string (number, boolean, null, date). */
class PlainScalar {
  readonly source: string;
  readonly value: unknown;
  constructor(source: string, value: unknown) {
    this.source = source;
    this.value = value;
  }
}

/**
 * The implicit scalar tags of the `yaml` package's YAML 1.1 schema, the schema of the full path. `<<`
 * (a merge key there) is included too: treated as not-a-string, it sends the text to the full path.
 */
const YAML_11_TAGS: readonly (ScalarTag & { test: RegExp })[] = new Document(null, {
  version: '1.1',
}).schema.tags.filter(
  (tag): tag is ScalarTag & { test: RegExp } =>
    tag.default !== false && tag.collection === undefined && tag.test instanceof RegExp,
);

/** All the tests in one expression: one match per plain scalar instead of one per tag. */
const ANY_YAML_11_TAG = new RegExp(
  YAML_11_TAGS.map((tag) => `(?:${tag.test.source})`).join('|'),
  YAML_11_TAGS[0]?.test.flags ?? '',
);
if (YAML_11_TAGS.some((tag) => tag.test.flags !== ANY_YAML_11_TAG.flags)) {
  throw new Error('the yaml package changed its YAML 1.1 tag tests: their flags differ');
}

const NO_OPTIONS = {};

function yaml11Tag(source: string): (ScalarTag & { test: RegExp }) | undefined {
  return YAML_11_TAGS.find((tag) => tag.test.test(source));
}

/**
 * js-yaml offers implicit types to plain scalars only, so quoted scalars stay strings like in the
 * full path; every other scalar is a string too (the failsafe schema), which keeps account ids such as
 * `012345678901` as written.
 */
const SCHEMA = FAILSAFE_SCHEMA.extend({
  implicit: [
    new Type('tag:iam-authenticator.local,2025:yaml-1.1-scalar', {
      kind: 'scalar',
      resolve: (data: unknown) => typeof data === 'string' && ANY_YAML_11_TAG.test(data),
      construct: (data: string) => {
        const tag = yaml11Tag(data);
        const value = tag?.resolve(data, ignoreError, NO_OPTIONS);
        // Some tags (floats) wrap their value in a Scalar node to keep its formatting.
        return new PlainScalar(data, isScalar(value) ? value.value : value);
      },
    }),
  ],
});

/** A value the full path cannot resolve is an issue there, and any issue sends the text there. */
function ignoreError(): void {
  // nothing to do: see above
}

/** An over-indented `- b` continues the previous item ("a - b"); the full path warns, so let it. */
const FOLDED_ITEM = /\s-\s/;

/** `onPath` holds the collections being converted: js-yaml lets `&a [*a]` contain itself. */
function toNode(value: unknown, onPath: Set<object>): DataNode | undefined {
  if (value === null || value === undefined) return { kind: 'null' };
  if (typeof value === 'string') return { kind: 'scalar', value };
  if (value instanceof PlainScalar) {
    if (value.value === null || value.value === undefined) return { kind: 'null' };
    return { kind: 'scalar', value: value.value, plainSource: value.source };
  }
  if (typeof value !== 'object' || onPath.has(value)) return undefined;
  onPath.add(value);
  const node = collectionNode(value, onPath);
  onPath.delete(value);
  return node;
}

function collectionNode(value: object, onPath: Set<object>): DataNode | undefined {
  if (Array.isArray(value)) {
    const items: DataNode[] = [];
    for (const item of value as unknown[]) {
      if (typeof item === 'string' && FOLDED_ITEM.test(item)) return undefined;
      const node = toNode(item, onPath);
      if (node === undefined) return undefined;
      items.push(node);
    }
    return { kind: 'seq', items };
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const pairs: (readonly [string, DataNode])[] = [];
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    // js-yaml names a key that is a mapping or a non-string scalar "[object Object]".
    if (key === '[object Object]') return undefined;
    const node = toNode(item, onPath);
    if (node === undefined) return undefined;
    pairs.push([key, node]);
  }
  return { kind: 'map', pairs };
}
