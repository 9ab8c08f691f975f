#!/usr/bin/env node
// CommonJS on purpose (bin/package.json says so): Node then starts without its ES module
// loader, which every command would otherwise pay for. The bundle is built by `npm run build`.
// Node 22.1+ can keep the compiled bundle in its compile cache (a folder in the temp
// directory): about 10 ms off every command there. Older Nodes have no such function.
require('node:module').enableCompileCache?.();
require('../dist/bundle/cli.cjs');
