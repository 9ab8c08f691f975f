// What every tool the benchmark drives through its CLI has in common: a Node script run
// with an environment of its own (its private home), timed by proc.mjs's run().
import { run, runOk } from './proc.mjs';

export class Tool {
  /**
   * @param {string} bin      the tool's CLI script, run with this Node
   * @param {NodeJS.ProcessEnv} env  the environment it runs with (naming its private home)
   */
  constructor(bin, env) {
    this.bin = bin;
    this.env = env;
  }

  /** @param {string[]} args */
  argv(...args) {
    return [process.execPath, this.bin, ...args];
  }

  /** @param {string[]} args */
  run(...args) {
    return run(this.argv(...args), { env: this.env });
  }

  /** @param {string[]} args */
  runOk(...args) {
    return runOk(this.argv(...args), { env: this.env });
  }

  /**
   * Runs it during cleanup (allowed after an interrupt), with a longer timeout.
   * @param {string[]} args
   * @param {number} [timeoutMs]
   */
  runCleanup(args, timeoutMs = 60_000) {
    return run(this.argv(...args), { env: this.env, cleanup: true, timeoutMs });
  }
}
