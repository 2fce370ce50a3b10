// @peculiar/x509 resolves its services through tsyringe, which needs a Reflect metadata polyfill
// loaded before it; ESM evaluates imports in order, so this file is the one place that imports it.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
