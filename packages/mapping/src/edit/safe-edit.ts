import { AuthError } from '@iam-authenticator/core';
import { dataDigest, planEdit } from './plan-edit.js';
import type { AwsAuthData, EditChange, EditPlan } from './plan-edit.js';
import { renderDataDiff } from './render-diff.js';
import { EditConflictError } from './store.js';
import type { AwsAuthSnapshot, AwsAuthStore, HistoryStore } from './store.js';

/** etcd's limit on one object; aws-auth's data must stay under it. */
export const CONFIGMAP_MAX_BYTES = 1024 * 1024;

export interface SafeEditOptions {
  readonly store: AwsAuthStore;
  /** Where the replaced version is saved; absent: not saved (only for --dry-run). */
  readonly history?: HistoryStore;
  /** The change; a function gets the snapshot just read (undo uses it). */
  readonly change: EditChange | ((snapshot: AwsAuthSnapshot) => EditChange | Promise<EditChange>);
  /** Edit a map that does not parse; remove node-role entries. Default false. */
  readonly force?: boolean;
  /** Compute and report, write nothing. Default false. */
  readonly dryRun?: boolean;
  /** Only `mapping create` and `mapping undo` may create a missing ConfigMap. Default false. */
  readonly createIfMissing?: boolean;
  /** Read-plan-write attempts before giving up on 409 conflicts. Default 20. */
  readonly maxAttempts?: number;
  /** Asked once before the first write (prompts); false cancels. Absent: no question. */
  readonly confirm?: (plan: EditPlan, diff: string) => Promise<boolean>;
  /** Called after every read (test hook to interleave another writer). */
  readonly afterRead?: (attempt: number) => Promise<void>;
  readonly now: () => Date;
  /** Injected for tests; defaults to setTimeout and Math.random. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export interface SafeEditResult {
  readonly plan: EditPlan;
  readonly before: AwsAuthData;
  readonly diff: string;
  readonly written: boolean;
  readonly created: boolean;
  readonly cancelled: boolean;
  readonly attempts: number;
  /** History seq of the saved previous version, when one was saved. */
  readonly savedAs?: number;
}

const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * The one write path of every aws-auth edit (DESIGN.md difference 8): read → refuse a map that does
 * not parse → apply the change to the YAML text → check the result means exactly that change → save
 * the previous version → write conditional on the read version → on 409 start again from the read.
 * The ConfigMap is never deleted and re-created; it is created only when `createIfMissing`.
 */
export async function runSafeEdit(options: SafeEditOptions): Promise<SafeEditResult> {
  const maxAttempts = options.maxAttempts ?? 20;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  let confirmed = options.confirm === undefined;
  for (let attempt = 1; ; attempt++) {
    const snapshot = await options.store.read();
    if (options.afterRead) await options.afterRead(attempt);
    if (!snapshot.exists && !options.createIfMissing) {
      throw new AuthError('mapping_not_found', `${options.store.description} does not exist`);
    }
    if (snapshot.immutable) {
      throw new AuthError(
        'mapping_refused',
        `${options.store.description} is marked immutable: true; its data cannot be changed in place (deleting and re-creating it would lock everyone out while it is gone)`,
      );
    }
    const change = typeof options.change === 'function' ? await options.change(snapshot) : options.change;
    const plan = planEdit(snapshot.data, change, { force: options.force === true });
    const diff = renderDataDiff(snapshot.data, plan.data);
    const result = { plan, before: snapshot.data, diff, attempts: attempt };
    if (plan.noop || options.dryRun === true) {
      return { ...result, written: false, created: false, cancelled: false };
    }
    const size = Object.entries(plan.data).reduce(
      (sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value),
      0,
    );
    if (size > CONFIGMAP_MAX_BYTES - 16 * 1024) {
      throw new AuthError(
        'mapping_refused',
        `the edited aws-auth data would be ${size} bytes, too close to the 1 MiB ConfigMap limit`,
      );
    }
    if (!confirmed && options.confirm) {
      if (!(await options.confirm(plan, diff))) {
        return { ...result, written: false, created: false, cancelled: true };
      }
      confirmed = true;
    }
    try {
      let savedAs: number | undefined;
      if (snapshot.exists && options.history) {
        savedAs = await options.history.save({
          savedAt: options.now().toISOString(),
          reason: plan.summary[0] ?? 'edit',
          ...(snapshot.version === undefined ? {} : { sourceVersion: snapshot.version }),
          data: snapshot.data,
          written: dataDigest(plan.data),
        });
      }
      if (snapshot.exists) await options.store.write(snapshot, plan.data);
      else await options.store.create(plan.data);
      return {
        ...result,
        written: true,
        created: !snapshot.exists,
        cancelled: false,
        ...(savedAs === undefined ? {} : { savedAs }),
      };
    } catch (error) {
      if (!(error instanceof EditConflictError)) throw error;
      if (attempt >= maxAttempts) {
        throw new AuthError(
          'mapping_conflict',
          `${options.store.description} kept changing under the edit; gave up after ${attempt} attempts`,
        );
      }
      // Full jitter, growing: concurrent editors spread out instead of colliding again.
      await sleep(Math.floor(random() * Math.min(1000, 20 * 2 ** attempt)));
    }
  }
}
