export { EMPTY_MAPPINGS } from './model.js';
export type {
  MapKey,
  MappingSet,
  ParseIssue,
  ParseResult,
  RoleMapping,
  SsoSelector,
  UserMapping,
} from './model.js';
export type { BackendName, BackendStatus, MappingBackend } from './backends/backend.js';
