import type { MappingSet, ParseIssue } from '../model.js';

/** Reference names, used in `--backend-mode` and metrics. */
export type BackendName = 'MountedFile' | 'EKSConfigMap' | 'DynamicFile' | 'CRD';

export interface BackendStatus {
  readonly name: BackendName;
  /** True once the backend has loaded its source successfully at least once. */
  readonly synced: boolean;
  readonly lastSyncTime?: Date;
  readonly lastError?: string;
  readonly counts: { readonly roles: number; readonly users: number; readonly accounts: number };
  /** Issues of the last load (dropped entries, keys kept from the last good state). */
  readonly issues: readonly ParseIssue[];
}

/**
 * A source of mappings. `current()` returns an immutable snapshot that is replaced (never mutated)
 * on every change, so the matcher can cache an index per snapshot.
 */
export interface MappingBackend {
  readonly name: BackendName;
  start(): Promise<void>;
  stop(): Promise<void>;
  current(): MappingSet;
  status(): BackendStatus;
}
