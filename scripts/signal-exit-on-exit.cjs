// Stands in for signal-exit inside the CLI bundle (see bundle-cli.mjs). proper-lockfile uses it
// to remove a held lock when the process ends; on a normal exit this does the same. On a fatal
// signal the lock is left and becomes stale (2 s), as after SIGKILL: bgrun holds it for
// milliseconds at a time, and hooking every signal at start-up cost each command about 5 ms.
module.exports = (callback) => {
  process.on('exit', callback);
  return () => process.removeListener('exit', callback);
};
