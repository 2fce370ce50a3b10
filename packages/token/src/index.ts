export {
  CLUSTER_ID_HEADER,
  MAX_TOKEN_BYTES,
  TOKEN_PREFIX,
  decodeToken,
  encodeToken,
} from './token-format.js';
export type { Identity } from './identity.js';
