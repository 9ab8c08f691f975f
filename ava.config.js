export default {
  files: ['test/**/*.test.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  // Signals and process groups need real processes, not worker threads.
  workerThreads: false,
  // Generous: a loaded machine slows real processes; a timed-out test skips its teardown.
  timeout: '3m',
  concurrency: 2,
};
