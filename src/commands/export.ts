import { type Parsed, listValue, stringValue } from '../cli-args.js';
import type { Context } from '../core/context.js';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { type Command, type Io, JSON_OPTION } from './command.js';
import { formatStatus, quoteArg } from './format.js';
import type { ProcessRecord } from '../core/records/record.js';

const FORMATS = ['systemd', 'kubernetes'];
/** Options of one format only: refused with the other. */
const KUBERNETES_ONLY = ['image', 'namespace', 'workdir', 'job', 'dockerfile', 'config'];
const SYSTEMD_ONLY = ['user'];

export const exportCommand: Command = {
  name: 'export',
  usage:
    'bgrun export systemd|kubernetes <pid|name|all>...\n       bgrun export systemd <pid|name|all>... [--user] [--output <dir>]\n       bgrun export kubernetes <name|all>...|--config <file> --image <image>|--dockerfile [--namespace <ns>] [--output <dir|file.yaml>]',
  options: [
    { name: 'user', type: 'boolean', description: 'systemd: user units (systemctl --user, WantedBy=default.target) instead of system units' },
    {
      name: 'output',
      short: 'o',
      type: 'string',
      value: '<dir>',
      description: 'write the files there (systemd: bgrun-<name>.service; kubernetes: <name>.yaml, or one file ending in .yaml) (default: print them)',
    },
    { name: 'image', type: 'string', value: '<image>', description: 'kubernetes: the container image that holds the app (required unless --dockerfile)' },
    { name: 'namespace', type: 'string', value: '<ns>', description: 'kubernetes: metadata.namespace of every object' },
    { name: 'workdir', type: 'string', value: '<dir>', description: "kubernetes: the image's working folder the app's folder becomes (default /app)" },
    { name: 'job', type: 'list', value: '<name>', description: 'kubernetes: export this app as a Job, a program meant to finish (a CronJob with --cron-restart) (repeatable)' },
    { name: 'dockerfile', type: 'boolean', description: 'kubernetes: also write <name>.Dockerfile (Node or Python) and its .dockerignore beside the manifests' },
    { name: 'config', type: 'string', value: '<file>', description: "kubernetes: export this config file's apps instead of started programs" },
    JSON_OPTION,
  ],
  async run(args, ctx, io) {
    const [format, ...targets] = args.positionals;
    if (format === undefined) throw new UsageError(`missing format: ${this.usage.split('\n')[0]}`);
    if (!FORMATS.includes(format)) throw new UsageError(`unknown export format '${format}': use ${FORMATS.join(', ')}`);
    const wrong = format === 'kubernetes' ? SYSTEMD_ONLY : KUBERNETES_ONLY;
    const misplaced = wrong.find((name) => args.values[name] !== undefined);
    if (misplaced) throw new UsageError(`--${misplaced} is not an option of export ${format}`);
    if (format === 'kubernetes') return exportKubernetesCommand(args, targets, ctx, io);
    if (targets.length === 0) throw new UsageError(`missing target: bgrun export systemd <pid|name|all>... [--user] [--output <dir>]`);
    const { exportSystemd } = await import('../export/systemd.js');
    const user = args.values.user === true;
    const output = stringValue(args.values, 'output') ?? null;
    const skipped: ProcessRecord[] = [];
    const onlyMeantToRun = targets.length === 1 && targets[0] === 'all';
    const units = exportSystemd(ctx, targets, {
      user,
      outputDir: output,
      onlyMeantToRun,
      onSkip: (r) => skipped.push(r),
    });
    if (skipped.length > 0) {
      const list = skipped.map((r) => `${r.name} (${formatStatus(r)})`).join(', ');
      io.err(`bgrun: skipped ${skipped.length} program${skipped.length === 1 ? '' : 's'} that ${skipped.length === 1 ? 'is' : 'are'} not meant to be running: ${list}; name them to export them anyway`);
    }
    for (const unit of units) for (const warning of unit.warnings) io.err(`bgrun: warning: ${warning}`);
    if (args.values.json) {
      io.out(JSON.stringify(units.map((u) => ({ name: u.name, unit: u.unitName, file: u.file, text: u.text, warnings: u.warnings })), null, 2));
      return 0;
    }
    if (units.length === 0) {
      io.err('bgrun: no programs to export');
      return 0;
    }
    if (!args.values.output) {
      io.out(units.map((u) => u.text).join('\n'));
      return 0;
    }
    const { SYSTEM_UNIT_DIR, userUnitDir } = await import('../persist/startup.js');
    const installDir = user ? userUnitDir(ctx.env) : SYSTEM_UNIT_DIR;
    const systemctl = user ? 'systemctl --user' : 'systemctl';
    for (const unit of units) io.out(`wrote ${unit.file}`);
    io.out('');
    io.out('To hand them over to systemd (stop them in bgrun first, or they run twice):');
    io.out(`  bgrun stop ${units.map((u) => u.name).join(' ')}`);
    if (output !== null && path.resolve(output) !== installDir) {
      io.out(`  cp ${units.map((u) => quoteArg(u.file!)).join(' ')} ${quoteArg(installDir)}/`);
    }
    io.out(`  ${systemctl} daemon-reload && ${systemctl} enable --now ${units.map((u) => u.unitName).join(' ')}`);
    return 0;
  },
};

async function exportKubernetesCommand(args: Parsed, targets: string[], ctx: Context, io: Io): Promise<number> {
  const configFile = stringValue(args.values, 'config');
  if (targets.length === 0 && configFile === undefined) {
    throw new UsageError('missing target: give app names, all, or --config <file>: bgrun export kubernetes <name|all>... --image <image>');
  }
  if (targets.length > 0 && configFile !== undefined) throw new UsageError('give either targets or --config <file>, not both');
  const { exportKubernetes, sourcesFromConfig, sourcesFromRecords } = await import('../export/kubernetes.js');
  let sources: import('../export/kubernetes-manifest.js').KubeSource[];
  if (configFile !== undefined) {
    const { loadConfig } = await import('../config/load-config.js');
    const config = await loadConfig({ config: configFile });
    if (!config) throw new UsageError(`config file ${configFile} not found`);
    sources = sourcesFromConfig(ctx, config.apps);
  } else {
    const { resolveTargets } = await import('../core/records/targets.js');
    sources = sourcesFromRecords(resolveTargets(ctx, targets));
  }
  const output = stringValue(args.values, 'output') ?? null;
  const result = await exportKubernetes(sources, {
    image: stringValue(args.values, 'image') ?? null,
    namespace: stringValue(args.values, 'namespace') ?? null,
    workdir: stringValue(args.values, 'workdir') ?? null,
    jobs: listValue(args.values, 'job'),
    dockerfile: args.values.dockerfile === true,
    output,
  });
  // What did not carry over goes to stderr, so stdout stays the manifests when printed.
  const say = output === null || args.values.json ? (line: string) => io.err(line) : (line: string) => io.out(line);
  for (const app of result.apps) {
    for (const item of app.notCarried) io.err(`bgrun: warning: '${app.name}': not carried over: ${item}`);
  }
  if (args.values.json) {
    io.out(
      JSON.stringify(
        result.apps.map((a) => ({ name: a.name, kubernetesName: a.kubeName, kind: a.kind, file: a.file, dockerfile: a.dockerfile, dockerignore: a.dockerignore, image: a.image, notCarriedOver: a.notCarried, notes: a.notes, secrets: a.secrets, objects: a.objects })),
        null,
        2,
      ),
    );
    return 0;
  }
  if (output === null) io.out(result.yaml.trimEnd());
  else for (const file of new Set(result.apps.map((a) => a.file))) say(`wrote ${file}`);
  for (const app of result.apps) {
    const renamed = app.kubeName !== app.name ? ` (Kubernetes name '${app.kubeName}')` : '';
    say(`${app.name}${renamed}: ${app.kind}${app.objects.some((o) => o.kind === 'Service') ? ' + Service' : ''}`);
    for (const p of app.paths) say(`  ${p.from} → ${p.to} (in the image, working folder ${stringValue(args.values, 'workdir') ?? '/app'})`);
  }
  say("The environment 'bgrun start' ran in is not copied: only --env values, and env files as Secrets.");
  say('Logs: the container\'s stdout and stderr (kubectl logs), kept and rotated by the kubelet; no log files are written.');
  const secrets = result.apps.flatMap((a) => a.secrets);
  const ns = stringValue(args.values, 'namespace');
  const nsArg = ns ? ` -n ${ns}` : '';
  if (secrets.length > 0) {
    say('Create the Secrets from the env files first (their values are not in the manifests):');
    for (const s of secrets) say(`  kubectl create secret generic ${s.name}${nsArg} --from-env-file=${quoteArg(s.file)}`);
  }
  for (const app of result.apps) {
    // DOCKER_BUILDKIT=1: only BuildKit reads the ignore file beside the Dockerfile; the legacy builder would copy node_modules and .venv.
    if (app.dockerfile) say(`Build: DOCKER_BUILDKIT=1 docker build -f ${quoteArg(app.dockerfile)} -t ${app.image} ${quoteArg(app.context)}`);
  }
  if (output !== null) say(`Apply: kubectl apply${nsArg} -f ${quoteArg(output)}`);
  return 0;
}
