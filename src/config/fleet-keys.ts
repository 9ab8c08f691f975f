/** Config checks of apps with copies (instances): their names. The keys themselves are in the option table (options/start-options.ts). */
import { isValidName } from '../core/records/names.js';
import type { ConfigError } from '../errors.js';

/**
 * Two apps that would need the same name: the copies of `web` (instances 2)
 * are `web.0` and `web.1`, so no other app may be called `web.1`.
 */
export function checkCopyNames(apps: { name: string; instances?: number }[], invalid: (index: number, message: string) => ConfigError): void {
  const owner = new Map<string, number>(apps.map((app, i) => [app.name, i]));
  apps.forEach((app, i) => {
    if (app.instances === undefined) return;
    for (let k = 0; k < app.instances; k++) {
      const name = `${app.name}.${k}`;
      if (!isValidName(name)) throw invalid(i, `"${name}", the name of copy ${k}, is too long: use a name of at most ${63 - String(k).length} characters`);
      const other = owner.get(name);
      if (other !== undefined && other !== i) throw invalid(other, `"${name}" is also the name of copy ${k} of apps[${i}] ("${app.name}", ${app.instances} instances); rename one of them`);
      owner.set(name, i);
    }
  });
}
