import type { AwsAuthData } from './plan-edit.js';

/** What one read of aws-auth saw. */
export interface AwsAuthSnapshot {
  readonly exists: boolean;
  readonly data: AwsAuthData;
  readonly immutable: boolean;
  /** resourceVersion (cluster) or a content hash (file); what the write is conditional on. */
  readonly version?: string;
}

/** Thrown by a store when the object changed since the read (HTTP 409): the edit starts again. */
export class EditConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EditConflictError';
  }
}

/** Where aws-auth lives: the cluster's ConfigMap or a local manifest. */
export interface AwsAuthStore {
  /** For messages: `configmap kube-system/aws-auth` or `file ./aws-auth.yaml`. */
  readonly description: string;
  read(): Promise<AwsAuthSnapshot>;
  /** Replaces `.data`, conditional on `previous.version`; throws EditConflictError when it moved. */
  write(previous: AwsAuthSnapshot, data: AwsAuthData): Promise<void>;
  /** Creates the object (only `mapping create` does); EditConflictError when it appeared meanwhile. */
  create(data: AwsAuthData): Promise<void>;
}

/** One saved previous version of aws-auth. */
export interface HistoryEntry {
  /** Increasing number, 1-based; `mapping undo --to N` names it. */
  readonly seq: number;
  /** ISO time of the save. */
  readonly savedAt: string;
  /** What replaced it (the edit's first summary line). */
  readonly reason: string;
  readonly sourceVersion?: string;
  readonly data: AwsAuthData;
  /**
   * `dataDigest` of what the edit that replaced this version wrote: `mapping undo` restores this version
   * only while aws-auth still holds exactly that (nobody has changed it since). Absent in old entries.
   */
  readonly written?: string;
}

/** Where previous versions are kept (the `aws-auth-history` ConfigMap or a local directory). */
export interface HistoryStore {
  readonly description: string;
  /** Oldest first. */
  list(): Promise<HistoryEntry[]>;
  /** Adds a version, keeping the last `keep`. Returns its seq. */
  save(entry: Omit<HistoryEntry, 'seq'>): Promise<number>;
}

export const HISTORY_KEEP = 10;
