/** Patch formats the Kubernetes API accepts: RFC 7386 merge patch, strategic merge (as merge), RFC 6902 JSON patch. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export class PatchError extends Error {
  constructor(
    message: string,
    readonly code: 400 | 422 = 422,
  ) {
    super(message);
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** RFC 7386. With `strategic`, `$`-directives are honoured roughly (`$patch: replace|delete`) or dropped. */
export function mergePatch(target: Json, patch: Json, strategic = false): Json {
  if (!isObject(patch)) return clone(patch);
  if (strategic && patch['$patch'] === 'replace') {
    const rest: JsonObject = {};
    for (const [k, v] of Object.entries(patch)) if (k !== '$patch') rest[k] = v;
    return clone(rest);
  }
  const result: JsonObject = isObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (strategic && key.startsWith('$')) continue;
    if (value === null) {
      Reflect.deleteProperty(result, key);
    } else if (strategic && isObject(value) && value['$patch'] === 'delete') {
      Reflect.deleteProperty(result, key);
    } else {
      result[key] = mergePatch(result[key] ?? null, value, strategic);
    }
  }
  return result;
}

function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/'))
    throw new PatchError(`json patch path ${JSON.stringify(pointer)} must start with /`, 400);
  return pointer.slice(1).split('/').map(unescapeToken);
}

function resolveParent(doc: Json, tokens: string[]): { parent: Json; last: string } {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(token)] ?? null;
    else if (isObject(node)) node = node[token] ?? null;
    else node = null;
    if (node === null) throw new PatchError(`json patch path not found: /${tokens.join('/')}`);
  }
  const last = tokens[tokens.length - 1];
  if (last === undefined) throw new PatchError('json patch path must not be the document root');
  return { parent: node, last };
}

function getAt(doc: Json, pointer: string): Json {
  let node: Json | undefined = doc;
  for (const token of parsePointer(pointer)) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isObject(node)) node = node[token];
    else node = undefined;
    if (node === undefined) throw new PatchError(`json patch path not found: ${pointer}`);
  }
  return node;
}

function removeAt(doc: Json, pointer: string): Json {
  const { parent, last } = resolveParent(doc, parsePointer(pointer));
  if (Array.isArray(parent)) {
    const index = Number(last);
    if (!Number.isInteger(index) || index < 0 || index >= parent.length) {
      throw new PatchError(`json patch index out of range: ${pointer}`);
    }
    return parent.splice(index, 1)[0] ?? null;
  }
  if (isObject(parent) && last in parent) {
    const old = parent[last] ?? null;
    Reflect.deleteProperty(parent, last);
    return old;
  }
  throw new PatchError(`unable to remove nonexistent key: ${pointer}`);
}

function addAt(doc: Json, pointer: string, value: Json, replace: boolean): Json {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return clone(value);
  const { parent, last } = resolveParent(doc, tokens);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (
      !Number.isInteger(index) ||
      index < 0 ||
      index > parent.length ||
      (replace && index >= parent.length)
    ) {
      throw new PatchError(`json patch index out of range: ${pointer}`);
    }
    if (replace) parent[index] = clone(value);
    else parent.splice(index, 0, clone(value));
  } else if (isObject(parent)) {
    if (replace && !(last in parent)) throw new PatchError(`unable to replace nonexistent key: ${pointer}`);
    parent[last] = clone(value);
  } else {
    throw new PatchError(`json patch path not found: ${pointer}`);
  }
  return doc;
}

/** RFC 6902: add, remove, replace, move, copy, test. */
export function jsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw new PatchError('json patch must be a JSON array of operations', 400);
  let doc = clone(target);
  for (const op of operations) {
    if (!isObject(op) || typeof op['op'] !== 'string' || typeof op['path'] !== 'string') {
      throw new PatchError('json patch operation needs string "op" and "path"', 400);
    }
    const path = op['path'];
    const from = typeof op['from'] === 'string' ? op['from'] : undefined;
    switch (op['op']) {
      case 'add':
        doc = addAt(doc, path, op['value'] ?? null, false);
        break;
      case 'replace':
        doc = addAt(doc, path, op['value'] ?? null, true);
        break;
      case 'remove':
        removeAt(doc, path);
        break;
      case 'move': {
        if (from === undefined) throw new PatchError('json patch move needs "from"', 400);
        const value = removeAt(doc, from);
        doc = addAt(doc, path, value, false);
        break;
      }
      case 'copy': {
        if (from === undefined) throw new PatchError('json patch copy needs "from"', 400);
        doc = addAt(doc, path, getAt(doc, from), false);
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(op['value'] ?? null)) {
          throw new PatchError(`json patch test failed at ${path}`);
        }
        break;
      default:
        throw new PatchError(`unknown json patch operation ${JSON.stringify(op['op'])}`, 400);
    }
  }
  return doc;
}
