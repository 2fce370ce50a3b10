import type { MappingSet, ParseIssue } from '../model.js';
import type { BackendName, BackendStatus, MappingBackend } from './backend.js';

/**
 * A backend that serves one fixed snapshot, synced from the start: the MountedFile backend, and
 * whatever explains or measures a given aws-auth under the name of the backend it came from.
 */
export function createStaticBackend(
  name: BackendName,
  set: MappingSet,
  issues: readonly ParseIssue[] = [],
): MappingBackend {
  const status: BackendStatus = Object.freeze({
    name,
    synced: true,
    lastSyncTime: new Date(),
    counts: { roles: set.mapRoles.length, users: set.mapUsers.length, accounts: set.mapAccounts.length },
    issues,
  });
  return {
    name,
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    current: () => set,
    status: () => status,
  };
}
