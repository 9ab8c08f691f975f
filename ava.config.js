export default {
  files: ['test/**/*.test.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  // Signals and process groups need real processes, not worker threads.
  workerThreads: false,
  timeout: '60s',
  concurrency: 2,
};
