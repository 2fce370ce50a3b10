import { AuthError } from '@iam-authenticator/core';
import type { AwsAuthData, EditChange } from './plan-edit.js';
import { runSafeEdit } from './safe-edit.js';
import { EditConflictError } from './store.js';
import type { AwsAuthSnapshot, AwsAuthStore, HistoryEntry, HistoryStore } from './store.js';
import { addHistory } from './history-model.js';

/** An in-memory aws-auth whose writes fail with a conflict `conflicts` times (another writer got there first). */
function memoryStore(initial: AwsAuthData | undefined, conflicts = 0) {
  let current = initial;
  let version = 1;
  let left = conflicts;
  const writes: AwsAuthData[] = [];
  const store: AwsAuthStore = {
    description: 'configmap test/aws-auth',
    read: (): Promise<AwsAuthSnapshot> =>
      Promise.resolve(
        current === undefined
          ? { exists: false, data: {}, immutable: false }
          : { exists: true, data: current, immutable: false, version: String(version) },
      ),
    write: (previous, data) => {
      if (left > 0 || previous.version !== String(version)) {
        left--;
        version++;
        return Promise.reject(new EditConflictError('moved'));
      }
      current = data;
      version++;
      writes.push(data);
      return Promise.resolve();
    },
    create: (data) => {
      current = data;
      writes.push(data);
      return Promise.resolve();
    },
  };
  return { store, writes, current: () => current };
}

function memoryHistory(): HistoryStore & { entries: HistoryEntry[] } {
  const self = {
    entries: [] as HistoryEntry[],
    description: 'memory',
    list: () => Promise.resolve([...self.entries]),
    save: (entry: Omit<HistoryEntry, 'seq'>) => {
      const next = addHistory(self.entries, entry, 10);
      self.entries = next.entries;
      return Promise.resolve(next.seq);
    },
  };
  return self;
}

const NOW = () => new Date('2026-01-02T03:04:05Z');
const CHANGE: EditChange = {
  kind: 'create',
  target: { type: 'arn', key: 'mapUsers', field: 'userarn', arn: 'arn:aws:iam::111122223333:user/a' },
  username: 'a',
};
const noSleep = (): Promise<void> => Promise.resolve();

describe('runSafeEdit', () => {
  test('retries after conflicts from a fresh read, and saves the replaced version', async () => {
    const memory = memoryStore({ other: 'x' }, 3);
    const history = memoryHistory();
    const sleeps: number[] = [];
    const result = await runSafeEdit({
      store: memory.store,
      history,
      change: CHANGE,
      now: NOW,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      random: () => 0.5,
    });
    expect(result.attempts).toBe(4);
    expect(sleeps).toEqual([20, 40, 80]);
    expect(memory.current()).toEqual({
      other: 'x',
      mapUsers: '- userarn: arn:aws:iam::111122223333:user/a\n  username: a\n',
    });
    expect(history.entries.map((e) => e.data)).toEqual([{ other: 'x' }]);
    expect(history.entries[0]?.savedAt).toBe('2026-01-02T03:04:05.000Z');
  });

  test('gives up with mapping_conflict after maxAttempts', async () => {
    const memory = memoryStore({}, 100);
    const error = await runSafeEdit({
      store: memory.store,
      change: CHANGE,
      now: NOW,
      sleep: noSleep,
      maxAttempts: 5,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).reason).toBe('mapping_conflict');
    expect((error as AuthError).message).toContain('gave up after 5 attempts');
    expect(memory.writes).toEqual([]);
  });

  test('a missing map is created only when allowed; otherwise mapping_not_found', async () => {
    const missing = memoryStore(undefined);
    const error = await runSafeEdit({ store: missing.store, change: CHANGE, now: NOW }).catch(
      (e: unknown) => e,
    );
    expect((error as AuthError).reason).toBe('mapping_not_found');
    expect(missing.writes).toEqual([]);
    const created = await runSafeEdit({
      store: missing.store,
      change: CHANGE,
      now: NOW,
      createIfMissing: true,
    });
    expect(created.created).toBe(true);
  });

  test('a declined confirmation writes nothing; dry run returns the diff', async () => {
    const memory = memoryStore({ mapUsers: '' });
    const declined = await runSafeEdit({
      store: memory.store,
      change: CHANGE,
      now: NOW,
      confirm: () => Promise.resolve(false),
    });
    expect(declined.cancelled).toBe(true);
    const dry = await runSafeEdit({ store: memory.store, change: CHANGE, now: NOW, dryRun: true });
    expect(dry.written).toBe(false);
    expect(dry.diff).toContain('+- userarn: arn:aws:iam::111122223333:user/a');
    expect(memory.writes).toEqual([]);
  });

  test('an edit over the 1 MiB budget is refused', async () => {
    const memory = memoryStore({ big: 'x'.repeat(1024 * 1024 - 100) });
    const error = await runSafeEdit({ store: memory.store, change: CHANGE, now: NOW }).catch(
      (e: unknown) => e,
    );
    expect((error as AuthError).reason).toBe('mapping_refused');
    expect((error as AuthError).message).toContain('1 MiB');
  });
});

describe('addHistory', () => {
  const entry = (size: number, i: number) => ({
    savedAt: `t${i}`,
    reason: `edit ${i}`,
    data: { mapRoles: `${i}`.padEnd(size, 'x') },
  });
  test('keeps the newest versions that fit the byte budget, at most `keep`, and always the newest one', () => {
    let entries: ReturnType<typeof addHistory>['entries'] = [];
    for (let i = 0; i < 8; i++) entries = addHistory(entries, entry(200_000, i), 10, 900 * 1024).entries;
    // Four versions of ~200 KB fit 900 KiB; a fifth would not.
    expect(entries.map((e) => e.seq)).toEqual([5, 6, 7, 8]);
    const huge = addHistory(entries, entry(1_000_000, 9), 10, 900 * 1024);
    expect(huge.entries.map((e) => e.seq)).toEqual([9]);
    let small: ReturnType<typeof addHistory>['entries'] = [];
    for (let i = 0; i < 12; i++) small = addHistory(small, entry(10, i), 10, 900 * 1024).entries;
    expect(small.map((e) => e.seq)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });
});
