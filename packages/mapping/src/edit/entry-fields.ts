import { isMap, isScalar } from 'yaml';
import type { Pair, YAMLMap } from 'yaml';
import { byteCompare, foldKey } from '../parse-entries.js';

// Entry keys are matched as the parser matches them (foldKey), and when two spellings of one field
// are present the byte-wise last one wins (reference §1.3), so an edit touches the field that is read.

/** The pair of `map` that the reference would read for `field`, or undefined. */
export function findFieldPair(map: YAMLMap, field: string): Pair | undefined {
  const wanted = foldKey(field);
  let best: { pair: Pair; key: string } | undefined;
  for (const item of map.items) {
    const key = isScalar(item.key) ? String(item.key.value) : undefined;
    if (key === undefined || foldKey(key) !== wanted) continue;
    if (best === undefined || byteCompare(key, best.key) > 0) {
      best = { pair: item, key };
    }
  }
  return best?.pair;
}

/** The spelling of `field` a plain-object entry reads, or undefined. */
function winningKey(entry: unknown, field: string): string | undefined {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return undefined;
  const wanted = foldKey(field);
  let bestKey: string | undefined;
  for (const key of Object.keys(entry)) {
    if (foldKey(key) !== wanted) continue;
    if (bestKey === undefined || byteCompare(key, bestKey) > 0) bestKey = key;
  }
  return bestKey;
}

/** The raw (JS) value of a field of a plain-object entry, by folded key, byte-wise last wins. */
export function readField(entry: unknown, field: string): unknown {
  const key = winningKey(entry, field);
  return key === undefined ? undefined : (entry as Record<string, unknown>)[key];
}

/** The spelling of `field` that an entry uses, so updates keep `roleARN`, `UsErNaMe`, … */
export function fieldSpelling(entry: unknown, field: string): string {
  return winningKey(entry, field) ?? field;
}

export function isYamlMap(value: unknown): value is YAMLMap {
  return isMap(value);
}

/** The groups that make a mapping a node's: removing them locks nodes out (edits need --force). */
export const NODE_GROUPS: readonly string[] = ['system:nodes', 'system:bootstrappers'];

/**
 * An account ID field as text. YAML reads an unquoted `012345678901` as the number 12345678901; account
 * IDs are 12 digits, so the leading zeros it lost are put back (as the parser's reading of the entry).
 */
export function accountIdOf(value: unknown): string {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
    return value.toFixed(0).padStart(12, '0');
  }
  if (typeof value === 'bigint' && value >= 0n) return value.toString().padStart(12, '0');
  return textOf(value);
}

/** A scalar field as text (numbers and booleans as written by YAML; objects as JSON; absent as ""). */
export function textOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}
