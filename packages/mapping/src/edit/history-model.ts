import type { HistoryEntry } from './store.js';

/**
 * The history ConfigMap / directory format: one data key (file) per version, `v<seq padded to 8>`,
 * holding JSON `{seq, savedAt, reason, sourceVersion?, data}`. Pure helpers, shared by both stores.
 */
const KEY_PATTERN = /^v(\d{8})$/;

export function historyKey(seq: number): string {
  return `v${String(seq).padStart(8, '0')}`;
}

export function decodeHistory(data: Readonly<Record<string, string>>): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  for (const [key, text] of Object.entries(data)) {
    const match = KEY_PATTERN.exec(key);
    if (!match) continue;
    const entry = decodeEntry(Number(match[1]), text);
    if (entry) entries.push(entry);
  }
  return entries.sort((a, b) => a.seq - b.seq);
}

export function decodeEntry(seq: number, text: string): HistoryEntry | undefined {
  try {
    const value = JSON.parse(text) as Partial<HistoryEntry>;
    if (value.data === undefined || typeof value.data !== 'object') return undefined;
    const data: Record<string, string> = {};
    for (const [key, item] of Object.entries(value.data)) if (typeof item === 'string') data[key] = item;
    return {
      seq,
      savedAt: typeof value.savedAt === 'string' ? value.savedAt : '',
      reason: typeof value.reason === 'string' ? value.reason : '',
      ...(typeof value.sourceVersion === 'string' ? { sourceVersion: value.sourceVersion } : {}),
      data,
      ...(typeof value.written === 'string' ? { written: value.written } : {}),
    };
  } catch {
    return undefined;
  }
}

export function encodeEntry(entry: HistoryEntry): string {
  return JSON.stringify(entry);
}

/**
 * Adds a version and returns the new full set of keys to keep (`keep` newest). A version equal to the
 * newest saved one (same source version, or same data) is not saved twice.
 */
export function addHistory(
  existing: readonly HistoryEntry[],
  entry: Omit<HistoryEntry, 'seq'>,
  keep: number,
  maxBytes = Infinity,
): { entries: HistoryEntry[]; seq: number } {
  const newest = existing[existing.length - 1];
  if (
    newest !== undefined &&
    ((entry.sourceVersion !== undefined && newest.sourceVersion === entry.sourceVersion) ||
      JSON.stringify(newest.data) === JSON.stringify(entry.data))
  ) {
    return { entries: [...existing], seq: newest.seq };
  }
  const seq = (newest?.seq ?? 0) + 1;
  const entries = [...existing, { ...entry, seq }].slice(-keep);
  // Oldest first out while the whole set is over its byte budget (a ConfigMap holds at most 1 MiB).
  let bytes = entries.reduce((sum, item) => sum + Buffer.byteLength(encodeEntry(item)), 0);
  while (bytes > maxBytes && entries.length > 1) {
    const dropped = entries.shift();
    if (dropped !== undefined) bytes -= Buffer.byteLength(encodeEntry(dropped));
  }
  return { entries, seq };
}
