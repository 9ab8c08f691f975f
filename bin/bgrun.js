#!/usr/bin/env node
// CommonJS on purpose (bin/package.json says so): Node then starts without its ES module
// loader, which every command would otherwise pay for. The bundle is built by `npm run build`.
require('../dist/bundle/cli.cjs');
