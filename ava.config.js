export default {
  files: ['test/**/*.test.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  // Signals and process groups need real processes, not worker threads.
  workerThreads: false,
  // Generous: a loaded machine slows real processes; a timed-out test skips its teardown.
  timeout: '3m',
  // One file at a time: tests within a file already run concurrently, and some files
  // run writers as fast as they can go; two such files at once starve the rest.
  concurrency: 1,
};
