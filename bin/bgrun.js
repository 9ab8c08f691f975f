#!/bin/sh
':' //; [ $$ -ne 1 ] || [ "$1" != run ] || [ ! -x "${0%/*}/bgrun-init" ] || exec "${0%/*}/bgrun-init" "$0" "$@"; exec node -- "$0" "$@"
// Line 2 is for sh, which runs this file first: it starts Node with `--` before this script, so
// Node reads none of bgrun's arguments as its own. Without it, Node looks for `--env-file`
// anywhere on its command line, even after the script (nodejs/node#54232), and exits 9
// (`node: .env: not found`) before bgrun runs whenever that file is not in the calling folder.
// `bgrun run` as PID 1 (a container's entry point) gets bin/bgrun-init in front of it there, on
// any Node: Node cannot reap orphans, and only Node 22.15+ could exec the init itself.
// For Node, line 2 is a string and a comment. `node bin/bgrun.js …` still works (without either).
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
