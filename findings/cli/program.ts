import { Command, Option } from 'commander';
import { VERSION } from '../version.js';
import { RENDERERS } from '../render/renderers.js';
import { runGate } from './commands/gate.js';
import { runReport } from './commands/report.js';

/** Options every command that reads reports accepts. */
export function addAnalyzeOptions(cmd: Command): Command {
  return cmd
    .option(
      '--baseline <file>',
      'findings document (or report) of the target branch: marks findings new/existing, lists fixed ones',
    )
    .option(
      '--config <file>',
      'the policy to apply (default: <source root>/.github/pipewarden.yml when present); a file from `fetch baseline --policy-out` records where it came from',
    )
    .option(
      '--proposed-config <file>',
      'the change’s own .github/pipewarden.yml: never applied; what it would change is recorded as policyChange (a missing file is no change). Needs --config',
    )
    .option(
      '--source-root <dir>',
      'repository checkout, for repo-relative paths (default: CODEBUILD_SRC_DIR, GITHUB_WORKSPACE or cwd)',
    )
    .option(
      '--repo <owner/name>',
      'repository (default: PIPEWARDEN_REPO, GITHUB_REPOSITORY or CODEBUILD_SOURCE_REPO_URL)',
    )
    .option(
      '--commit <sha>',
      'commit (default: PIPEWARDEN_COMMIT, GITHUB_SHA or CODEBUILD_RESOLVED_SOURCE_VERSION)',
    )
    .option(
      '--branch <name>',
      'branch (default: PIPEWARDEN_HEAD_BRANCH unless none, PIPEWARDEN_BRANCH, GITHUB_HEAD_REF / GITHUB_REF_NAME or CODEBUILD_WEBHOOK_HEAD_REF)',
    )
    .option('--pull-request <number>', 'pull request number (default: PIPEWARDEN_PULL_REQUEST)')
    .option('--execution <id>', 'CodePipeline execution id (default: PIPEWARDEN_EXECUTION_ID)')
    .option('--pipeline <name>', 'CodePipeline pipeline name (default: PIPEWARDEN_PIPELINE)')
    .option(
      '--pipeline-kind <kind>',
      'main (reviewed code: its scanner ignores count) or feature (default: PIPEWARDEN_PIPELINE_KIND)',
    )
    .option(
      '--fail-on <severity>',
      'gate threshold: critical, high, medium, low or info (default: config, else high)',
    )
    .option('--new-only', 'only findings that are new against the baseline fail the gate')
    .option(
      '--cdk-out <dir>',
      "the cloud assembly a cdk-nag report points into, for its findings' source lines (default: the report's own folder; a report on stdin gets none without it)",
    );
}

/** What `--help` says about exit codes: the same four everywhere (README.md, docs/findings.md). */
export const EXIT_CODES_HELP = `
Exit codes:
  0  done; for gate: passed
  1  gate failed: findings at or above the threshold (or a report missing)
  2  bad input or usage: the message names the file or flag and the fix
  3  an AWS or GitHub call failed (credentials, region, network, throttling): fix it and re-run`;

/** Where an action leaves the exit code it returns (commander ignores an action's return value). */
export interface ExitCode {
  code: number;
}

/** Wraps a command that returns its exit code (or nothing for 0) as a commander action. */
function returning<A extends unknown[]>(
  exit: ExitCode,
  run: (...args: A) => Promise<number | void>,
): (...args: A) => Promise<void> {
  return async (...args) => {
    exit.code = (await run(...args)) ?? 0;
  };
}

/** The commands built from modules of their own, which load AWS SDK clients: only when asked for. */
const AWS_COMMANDS = ['publish', 'fetch', 'doctor'] as const;
type AwsCommand = (typeof AWS_COMMANDS)[number];

/**
 * The AWS commands a run of `argv` needs: the one it names; none for `report`, `gate` or `--version`
 * (which never call AWS); every one for --help, `help`, no argument or a name that is not a command (the
 * usage lists them all). Each command module loads its SDK clients: building them all costs `publish` or a
 * `--version` about 0.4 s of start-up (measured on the bundle), in every CodeBuild step.
 */
function awsCommandsFor(argv: string[] | undefined): readonly AwsCommand[] {
  const first = argv?.[0];
  if (first === 'report' || first === 'gate' || first === '--version' || first === '-V') return [];
  return AWS_COMMANDS.includes(first as AwsCommand) ? [first as AwsCommand] : AWS_COMMANDS;
}

/**
 * The CLI's commands. `argv` (the arguments to be parsed) lets a run build only the command it names (see
 * awsCommandsFor); without it every command is there.
 */
export async function buildProgram(exit: ExitCode = { code: 0 }, argv?: string[]): Promise<Command> {
  const program = new Command('pipewarden')
    .description(
      'Security findings from CodeGuru Security, Snyk, Amazon Inspector and any SARIF: one model, one gate, every output.',
    )
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    // Throw instead of exiting, so main() decides the exit code; subcommands inherit it when created after.
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });

  addAnalyzeOptions(
    program
      .command('report')
      .description('read scanner reports (recognized by content) and write one merged result')
      .argument('<reports...>', 'scanner outputs or findings documents')
      .addOption(
        new Option('--format <format>', 'output format').choices([...RENDERERS.keys()]).default('json'),
      )
      .option('--out <file>', 'write here (atomically) instead of stdout')
      .option('--account <id>', 'AWS account for ASFF (default: from CODEBUILD_BUILD_ARN)')
      .option('--region <region>', 'AWS region for ASFF (default: AWS_REGION)')
      .option('--max <n>', 'cap on annotations / SARIF results'),
  ).action(returning(exit, runReport));

  addAnalyzeOptions(
    program
      .command('gate')
      .description(
        'decide: exit 0 pass, 1 fail, 2 input error, 3 a service failed; fails closed on a missing report',
      )
      .argument('[reports...]', 'scanner outputs or findings documents')
      .option('--out <file>', 'also write the findings document (with the verdict) here'),
  ).action(returning(exit, runGate));

  const wanted = awsCommandsFor(argv);
  // One after the other: Jest's ESM loader fails on parallel imports that share a dependency. Eager: the
  // bundle stays ONE file (the pipelines fetch and sha256-check dist/cli/index.js alone), and the modules
  // are still evaluated only here.
  if (wanted.includes('publish')) {
    const { addPublishCommand } = await import(/* webpackMode: "eager" */ './commands/publish.js');
    addPublishCommand(program, addAnalyzeOptions);
  }
  if (wanted.includes('fetch')) {
    const { addFetchCommand } = await import(/* webpackMode: "eager" */ './commands/fetch.js');
    addFetchCommand(program);
  }
  if (wanted.includes('doctor')) {
    const { addDoctorCommand } = await import(/* webpackMode: "eager" */ './commands/doctor.js');
    addDoctorCommand(program, exit);
  }

  // Every command's --help ends with the exit codes, the subcommands' too (commander does not inherit help text).
  const withExitCodes = (cmd: Command): void => {
    cmd.addHelpText('after', EXIT_CODES_HELP);
    cmd.commands.forEach(withExitCodes);
  };
  withExitCodes(program);
  return program;
}
