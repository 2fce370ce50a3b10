#!/usr/bin/env node
// The installed command. The code is the esbuild bundle (split per command) built by `npm ci`.
import '../bundle/bin.js';
