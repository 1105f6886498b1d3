// Synthesizes the CDK app offline (no AWS account, no credentials) and prints what it would deploy:
// the stacks in deployment order with their resources, and every pipeline with its triggers,
// execution mode, stages and actions. Usage: npx tsx scripts/demo-infra.ts [config.json]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

// The parts of the cloud assembly and its CloudFormation templates that this summary reads.
interface Manifest {
  artifacts: Record<string, { type: string; properties?: { stackName?: string; templateFile: string } }>;
}
interface ValidationReport {
  pluginReports: { violations: unknown[]; suppressedViolations?: unknown[] }[];
}
interface Resource<P = unknown> {
  Type: string;
  Properties: P;
}
interface Template {
  Resources?: Record<string, Resource>;
}
interface Filter {
  Includes?: string[];
  Excludes?: string[];
}
interface PipelineAction {
  Name: string;
  RunOrder?: number;
  ActionTypeId: { Provider: string };
  Configuration: {
    StackName?: string;
    ProjectName?: { Ref?: string };
    FullRepositoryId?: string;
    ServiceName?: { 'Fn::GetStackOutput'?: { StackName?: string } };
  };
}
interface Pipeline {
  Name: string;
  ExecutionMode: string;
  Stages: { Name: string; Actions: PipelineAction[] }[];
  Triggers?: {
    GitConfiguration: {
      Push?: { Branches?: Filter; FilePaths?: Filter }[];
      PullRequest?: { Events?: string[]; Branches?: Filter; FilePaths?: Filter }[];
    };
  }[];
}
interface EcsService {
  DeploymentConfiguration?: { Strategy?: string; BakeTimeInMinutes?: number };
}
interface Project {
  Name: string;
  Source: { BuildSpec: string };
}
const readJson = <T>(file: string) => JSON.parse(readFileSync(file, 'utf8')) as T;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'out', 'cdk.out');
const configFile = resolve(process.argv[2] ?? join(root, 'pipewarden.config.example.json'));

// The bot is deployed from dist/bot (npm run bundle). Without it, the demo still shows the system by
// standing in the test placeholder, and says so; `npm run synth` never does that.
const context: { botCode?: string } = {};
if (!existsSync(join(root, 'dist', 'bot', 'index.js'))) {
  context.botCode = 'test/infra/fixtures/bot-placeholder';
  console.log(
    'note: dist/bot is not built (npm run bundle); the bot function uses a placeholder in this demo.\n',
  );
}

const started = performance.now();
const run = spawnSync(
  process.execPath,
  [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'infra/bin/app.ts'],
  {
    cwd: root,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      PIPEWARDEN_CONFIG: configFile,
      CDK_CONTEXT_JSON: JSON.stringify(context),
    },
  },
);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (run.status !== 0) {
  process.stderr.write(run.stderr || run.stdout);
  process.exit(run.status ?? 1);
}

const manifest = readJson<Manifest>(join(outdir, 'manifest.json'));
const stacks = Object.entries(manifest.artifacts)
  .filter(([, a]) => a.type === 'aws:cloudformation:stack')
  .map(([id, a]) => ({
    id,
    name: a.properties?.stackName ?? id,
    template: readJson<Template>(join(outdir, a.properties?.templateFile ?? `${id}.template.json`)),
  }));
const report: ValidationReport = existsSync(join(outdir, 'validation-report.json'))
  ? readJson<ValidationReport>(join(outdir, 'validation-report.json'))
  : { pluginReports: [] };
const violations = report.pluginReports.reduce((n, r) => n + r.violations.length, 0);
const acknowledged = report.pluginReports.reduce((n, r) => n + (r.suppressedViolations?.length ?? 0), 0);

console.log(`pipewarden infrastructure — ${relative(root, configFile)}, synthesized offline in ${seconds} s`);
console.log(
  `checks: cdk-nag AwsSolutions + AWS Control Tower proactive controls (cfn-guard): ${violations} violations, ` +
    `${acknowledged} documented exceptions (docs/deploy.md)\n`,
);

// Deployment order: the infrastructure pipeline's Deploy stage runs stacks by wave (runOrder).
const resources = (stack: (typeof stacks)[number]) => Object.values(stack.template.Resources ?? {});
const pipelines = stacks.flatMap((s) =>
  resources(s)
    .filter((r) => r.Type === 'AWS::CodePipeline::Pipeline')
    .map((r) => r.Properties as Pipeline),
);
const infra = pipelines.find((p) => p.Stages.some((s) => s.Name === 'SelfUpdate'));
const wave = new Map<string, number | undefined>();
for (const stage of infra?.Stages ?? []) {
  for (const action of stage.Actions) {
    if (action.ActionTypeId.Provider === 'CloudFormation') {
      wave.set(action.Configuration.StackName ?? '', stage.Name === 'SelfUpdate' ? 99 : action.RunOrder);
    }
  }
}
stacks.sort((a, b) => (wave.get(a.name) ?? 0) - (wave.get(b.name) ?? 0));

const short = (type: string) => type.replace(/^AWS::/, '').replace(/^Custom::/, 'Custom ');
console.log('STACKS (deployment order: wave, then the infrastructure pipeline updates itself last)');
for (const stack of stacks) {
  const counts = new Map<string, number>();
  for (const r of resources(stack)) counts.set(short(r.Type), (counts.get(short(r.Type)) ?? 0) + 1);
  const top = [...counts.entries()]
    .filter(([type]) => !/^(IAM::Policy|CDK::Metadata)$/.test(type))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([type, n]) => `${n} ${type}`)
    .join(', ');
  const w = wave.get(stack.name);
  const label = w === 99 ? 'last' : w ? `wave ${w}` : '';
  console.log(
    `  ${stack.name.padEnd(36)} ${label.padEnd(7)} ${String(resources(stack).length).padStart(3)} resources  ${top}`,
  );
}

const MODES: Record<string, string> = {
  QUEUED: 'QUEUED: executions wait in line, every commit runs to the end, one at a time',
  SUPERSEDED:
    'SUPERSEDED: a newer execution replaces an older one waiting between stages (newest commit wins)',
  PARALLEL: 'PARALLEL: every branch and pull request runs at once, independently',
};
const list = (xs: string[] | undefined) => (xs?.length ? xs.join(', ') : '');
const filter = (label: string, f: Filter | undefined) => {
  if (!f) return '';
  const parts = [];
  if (f.Includes) parts.push(`${label} ${list(f.Includes)}`);
  if (f.Excludes) parts.push(`${label} not ${list(f.Excludes)}`);
  return parts.join('; ');
};
// The deploy action names its service through the environment stack's output: look the strategy up there.
const deployment = (serviceName: PipelineAction['Configuration']['ServiceName']) => {
  const stack = stacks.find((s) => s.name === serviceName?.['Fn::GetStackOutput']?.StackName);
  const service =
    stack && (resources(stack).find((r) => r.Type === 'AWS::ECS::Service') as Resource<EcsService>);
  const config = service?.Properties.DeploymentConfiguration ?? {};
  if (config.Strategy === 'BLUE_GREEN') {
    return `blue/green: test listener, ${config.BakeTimeInMinutes} min bake, rollback on failure or alarm`;
  }
  return 'rolling update, circuit-breaker rollback';
};
// A CodeBuild action's project, and where its buildspec comes from: inlined from the deployment's buildspecs/
// (the security stages) or the repository's own file, read at run time (only the Test action).
const projects = new Map(
  stacks.flatMap((s) =>
    Object.entries(s.template.Resources ?? {})
      .filter(([, r]) => r.Type === 'AWS::CodeBuild::Project')
      .map(([id, r]) => [id, r.Properties as Project] as const),
  ),
);
const describeProject = (ref: { Ref?: string } | undefined) => {
  const project = projects.get(ref?.Ref ?? '');
  if (!project) return '';
  const spec = project.Source.BuildSpec;
  if (/^[^\n]+\.ya?ml$/.test(spec)) return ` [${project.Name}: ${spec} from the source]`;
  return ` [${project.Name}: ${spec.includes('PIPEWARDEN_CLI_SHA256') ? 'platform buildspec, pinned CLI' : 'inline buildspec'}]`;
};
const describeAction = (a: PipelineAction) => {
  const p = a.ActionTypeId.Provider;
  if (p === 'CodeBuild') return `${a.Name}${describeProject(a.Configuration.ProjectName)}`;
  if (p === 'CodeStarSourceConnection')
    return `${a.Name} (GitHub ${a.Configuration.FullRepositoryId} via CodeConnections)`;
  if (p === 'ECS') return `${a.Name} (built image; ECS ${deployment(a.Configuration.ServiceName)})`;
  if (p === 'Manual') return `${a.Name} (manual approval, notified on the SNS topic)`;
  if (p === 'CloudFormation') return a.Configuration.StackName;
  return a.Name;
};

console.log(
  '\nPIPELINES (CodePipeline V2, billed per action-minute; parallel actions: the same minutes, a shorter wait)',
);
for (const p of pipelines.sort((a, b) => a.Name.localeCompare(b.Name))) {
  console.log(`\n  ${p.Name}`);
  console.log(`    mode      ${MODES[p.ExecutionMode] ?? p.ExecutionMode}`);
  for (const trigger of p.Triggers ?? []) {
    const git = trigger.GitConfiguration;
    for (const push of git.Push ?? []) {
      console.log(
        `    on push   ${[filter('branches', push.Branches), filter('files', push.FilePaths)].filter(Boolean).join('; ')}`,
      );
    }
    for (const pr of git.PullRequest ?? []) {
      console.log(
        `    on PR     ${list(pr.Events)} into ${list(pr.Branches?.Includes)}${pr.FilePaths ? `; ${filter('files', pr.FilePaths)}` : ''}`,
      );
    }
    if (!git.PullRequest && p.Name.endsWith('-feature')) {
      console.log('    on PR     started by the bot (forks wait for a maintainer); the V2 trigger is off');
    }
  }
  for (const stage of p.Stages) {
    const byOrder = new Map<number, PipelineAction[]>();
    for (const a of stage.Actions) byOrder.set(a.RunOrder ?? 1, [...(byOrder.get(a.RunOrder ?? 1) ?? []), a]);
    const steps = [...byOrder.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, actions]) => actions.map(describeAction).join(' ‖ '));
    const parallel = stage.Actions.length > 1 && byOrder.size === 1 ? '   (parallel)' : '';
    console.log(`    ${stage.Name.padEnd(10)} ${steps.join(' → ')}${parallel}`);
  }
}

const platform = readdirSync(join(root, 'buildspecs')).filter((f) => f.endsWith('.yml') && f !== 'test.yml');
console.log(
  `\nplatform buildspecs, inlined at synthesis (never read from the source): ${platform.join(', ')}`,
);
console.log(
  `cloud assembly: ${relative(root, outdir)}  — deploy with: npx cdk deploy --app ${relative(root, outdir)} (docs/deploy.md)`,
);
