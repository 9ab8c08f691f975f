import { stringValue } from '../cli-args.js';
import { optionalDuration } from '../core/duration.js';
import { reloadTargets } from '../core/fleet/reload.js';
import { toInfo } from '../core/lifecycle/status.js';
import { type Command, JSON_OPTION } from './command.js';
import { ONLY_OPTION, targetsOrConfigApps } from './config-apps.js';
import { paint } from './format.js';
import { STOP_OPTIONS, stopOptions } from './stop.js';

export const reload: Command = {
  name: 'reload',
  usage: 'bgrun reload <name|@namespace|all>... [--update-env] [--wait <duration>]',
  options: [
    ...STOP_OPTIONS,
    { name: 'wait', type: 'string', value: '<duration>', description: 'watch each new copy for a crash this long (default 500ms; at least 1s without --ready)' },
    { name: 'update-env', type: 'boolean', description: 'take the current environment instead of the recorded one' },
    { name: 'config', type: 'string', value: '<file>', description: 'with no target: the apps of this config file (or give the file as the target, as pm2 takes it)' },
    ONLY_OPTION,
    JSON_OPTION,
  ],
  async run(args, ctx, io) {
    const json = args.values.json === true;
    const waitMs = optionalDuration(stringValue(args.values, 'wait'), '--wait');
    const { records } = await targetsOrConfigApps(ctx, args, this.usage, 'start');
    const updateEnv = args.values['update-env'] ? (Object.fromEntries(Object.entries(ctx.env).filter(([, v]) => v !== undefined)) as Record<string, string>) : null;
    const results = await reloadTargets(ctx, records, {
      ...stopOptions(args),
      waitMs,
      updateEnv,
      onStep: json
        ? undefined
        : (step, how) => {
            const r = step.result.record;
            const ready = r.ready && r.readyAt ? `, ready (${r.ready})` : '';
            const name = paint(step.name, 'bold', io.color);
            if (how === 'restart') io.out(`restarted ${name} (pid ${step.oldPid} -> ${r.pid})${ready}: one copy, so reload is a restart; run copies (--instances) to reload without downtime`);
            else if (how === 'cluster') io.out(`reloaded ${name} (pid ${step.oldPid} -> ${r.pid}), listening before the old one was disconnected`);
            else io.out(`reloaded ${name} (pid ${step.oldPid} -> ${r.pid})${ready}`);
          },
    });
    if (json) {
      io.out(JSON.stringify(results.map((res) => ({ app: res.app, how: res.how, copies: res.steps.map((s) => ({ ...toInfo([s.result.record])[0], oldPid: s.oldPid })) }))));
    }
    return 0;
  },
};
