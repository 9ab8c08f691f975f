/**
 * pm2's environments: `env_production: { … }` beside `env`, chosen with
 * `bgrun start --env production` (or `apply --env production`). The profile's
 * variables are merged over `env`; an app without that block keeps its `env`,
 * as under pm2. A profile that no app has is a mistake (a typo), refused.
 */
import { ConfigError } from '../errors.js';
import type { LoadedConfig } from './load-config.js';

/** `--env` values: `KEY=VALUE` keeps its meaning, a bare word names a profile. */
export function splitEnvValues(values: string[]): { assignments: string[]; profiles: string[] } {
  const assignments: string[] = [];
  const profiles: string[] = [];
  for (const value of values) (value.includes('=') ? assignments : profiles).push(value);
  return { assignments, profiles };
}

export function withEnvProfile(config: LoadedConfig, profile: string | undefined): LoadedConfig {
  if (profile === undefined) return config;
  const having = config.apps.filter((app) => app.envProfiles?.[profile] !== undefined);
  if (having.length === 0) {
    const known = [...new Set(config.apps.flatMap((app) => Object.keys(app.envProfiles ?? {})))];
    throw new ConfigError(
      `${config.label} has no env_${profile} in any app; ${known.length > 0 ? `its profiles: ${known.join(', ')}` : 'it has no env_<profile> blocks'}`,
    );
  }
  return {
    ...config,
    apps: config.apps.map((app) => {
      const extra = app.envProfiles?.[profile];
      return extra === undefined ? app : { ...app, env: { ...app.env, ...extra }, envProfile: profile };
    }),
  };
}
