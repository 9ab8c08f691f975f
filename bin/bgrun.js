#!/usr/bin/env node
// CommonJS on purpose (bin/package.json says so): Node then starts without its ES module
// loader, which every command would otherwise pay for. The bundle is built by `npm run build`.
// Compiling the bundle is a large part of every command, so the compiled code is kept:
// Node 22.1+ does it itself (its compile cache, in the temp folder); older Nodes get the
// same from load-cli.js (a V8 code cache in bgrun's state folder).
const { enableCompileCache } = require('node:module');
const bundle = require('node:path').join(__dirname, '..', 'dist', 'bundle', 'cli.cjs');
if (enableCompileCache) {
  enableCompileCache();
  require(bundle);
} else {
  require('./load-cli.js').loadCli(bundle);
}
