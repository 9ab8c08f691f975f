import { type ApplyStepResult, type PlanStep, applyPlan, planApply } from '../config/apply.js';
import { withEnvProfile } from '../config/env-profile.js';
import { CONFIG_FILES_TEXT, loadConfig } from '../config/load-config.js';
import { stringValue } from '../cli-args.js';
import { optionalDuration } from '../core/duration.js';
import { toInfo } from '../core/lifecycle/status.js';
import { UsageError } from '../errors.js';
import { createProgress } from '../output/progress.js';
import { type Command, JSON_OPTION } from './command.js';
import { envProfileOption } from './config-apps.js';
import { paint } from './format.js';

const MARK: Record<PlanStep['action'], string> = { start: '+', reload: '~', scale: '~', replace: '~', remove: '-', unchanged: '=' };

function planLine(step: PlanStep): string {
  const verb = step.action === 'unchanged' ? 'leave' : step.action;
  return `${MARK[step.action]} ${verb} ${step.app}${step.detail ? ` (${step.detail})` : ''}`;
}

function doneLine(step: ApplyStepResult): string {
  const pids = (records: { name: string; pid: number | null }[]) => records.map((r) => `${r.name} ${r.pid ?? '-'}`).join(', ');
  switch (step.action) {
    case 'unchanged':
      return `${step.app} unchanged (${pids(step.after)})`;
    case 'remove':
      return `removed ${step.app} (${step.detail})`;
    default:
      return `${step.action === 'start' ? 'started' : step.action === 'scale' ? 'scaled' : step.action === 'replace' ? 'replaced' : 'reloaded'} ${step.app}${step.detail ? ` (${step.detail})` : ''}: ${pids(step.after)}`;
  }
}

export const apply: Command = {
  name: 'apply',
  usage: 'bgrun apply [file] [--env <profile>] [--dry-run]',
  options: [
    { name: 'env', short: 'e', type: 'list', value: '<profile>', description: "merge the apps' env_<profile> over env" },
    { name: 'dry-run', type: 'boolean', description: 'print the plan and change nothing' },
    { name: 'wait', type: 'string', value: '<duration>', description: 'watch each started copy for a crash this long (default 500ms)' },
    JSON_OPTION,
  ],
  async run(args, ctx, io) {
    if (args.positionals.length > 1) throw new UsageError(`apply takes one config file: ${this.usage}`);
    const file = args.positionals[0];
    const loaded = await loadConfig({ config: file });
    if (!loaded) throw new UsageError(`no config file here (${CONFIG_FILES_TEXT}, Procfile); give one: ${this.usage}`);
    const config = withEnvProfile(loaded, envProfileOption(args, loaded.label));
    const json = args.values.json === true;
    const waitMs = optionalDuration(stringValue(args.values, 'wait'), '--wait');
    const steps = planApply(ctx, config);
    if (args.values['dry-run']) {
      if (json) io.out(JSON.stringify(steps.map((s) => ({ app: s.app, action: s.action, detail: s.detail }))));
      else for (const step of steps) io.out(planLine(step));
      return 0;
    }
    // On a terminal only (never with --json or piped): done/total and what a start waits for.
    const progress = createProgress(io, 'applying', steps.length, { json });
    const out = progress.io;
    let results: ApplyStepResult[];
    try {
      results = await applyPlan(ctx, config, steps, {
        waitMs,
        progress,
        onStep: json ? undefined : (step) => out.out(step.action === 'unchanged' ? paint(doneLine(step), 'gray', out.color) : doneLine(step)),
      });
    } finally {
      progress.finish();
    }
    if (json) io.out(JSON.stringify(results.map((s) => ({ app: s.app, action: s.action, detail: s.detail, copies: toInfo(s.after) }))));
    return 0;
  },
};
