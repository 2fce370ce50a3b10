import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * sha256 of the UTF-8 bytes of `text`, as lowercase hex, without `node:crypto`. Loading node:crypto
 * (and the stream modules it pulls in) costs about 6 ms of start-up, a fifth of a cache-hit `token`
 * run, which kubectl pays on every call; a short input hashes in well under that in plain JS. Servers
 * that hash on every request keep node:crypto's native hash (same digest).
 */
export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}
