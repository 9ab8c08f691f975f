// A small program to try bgrun with: prints a line every second until stopped.
let n = 0;
console.log(`ticker started, pid ${process.pid}`);
const timer = setInterval(() => console.log(`tick ${++n} at ${new Date().toISOString()}`), 1000);
process.on('SIGTERM', () => {
  clearInterval(timer);
  console.log('ticker got SIGTERM, exiting');
  process.exit(0);
});
