export { startStsEmulator, parseClock } from './emulator.js';
export type { StsEmulator, StsEmulatorOptions } from './emulator.js';
export { loadIdentitiesFile, parseIdentities } from './identities.js';
export type { EmulatedInstance, EmulatedRole, EmulatedUser, IdentitiesFile } from './identities.js';
export { EMULATED_ACTIONS, parseFault } from './faults.js';
export type { EmulatedAction, FaultKind, FaultSpec } from './faults.js';
export type { AssumeRoleRecord } from './actions.js';
