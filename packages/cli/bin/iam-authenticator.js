#!/usr/bin/env node
'use strict';
// The installed command (CommonJS: see bin/package.json). `token` and `get-token` run on every kubectl
// call, so they have their own small CommonJS bundle; every other command loads the split ES module
// bundle. Both are built by `npm ci` (scripts/bundle.mjs).
const argv = require('./root-flags.js').hoistRootFlags(process.argv.slice(2));
if (argv[0] === 'token' || argv[0] === 'get-token') {
  require('../bundle/token.cjs').runTokenBin(argv);
} else {
  process.argv.splice(2, Infinity, ...argv);
  import('../bundle/bin.js');
}
