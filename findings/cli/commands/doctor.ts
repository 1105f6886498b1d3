import {
  CodePipelineClient,
  GetPipelineCommand,
  type PipelineDeclaration,
} from '@aws-sdk/client-codepipeline';
import { CodeStarConnectionsClient } from '@aws-sdk/client-codestar-connections';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeHubCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { Command } from 'commander';
import { errorMessage, PipewardenError } from '../../errors.js';
import { readAppPrivateKey } from '../read-app-private-key.js';
import { classifyAwsError, errorCode, httpStatus } from '../../../pipeline/aws-errors.js';
import {
  checkGitHubApp,
  checkGitHubToken,
  githubClient,
  parseRepoTarget,
  Unreachable,
  type CheckLine,
  type GitHubClients,
} from '../check-github-app.js';
import { diagnoseConnection } from '../../../pipeline/diagnose-connection.js';

export interface DoctorFlags {
  connection?: string;
  mainPipeline?: string;
  featurePipeline?: string;
  bucket?: string;
  securityHub?: boolean;
  region?: string;
  githubRepo?: string[];
  mainBranch?: string;
  githubAppId?: string;
  githubPrivateKey?: string;
  githubApiUrl?: string;
}

export interface DoctorClients {
  connections: CodeStarConnectionsClient;
  codepipeline: CodePipelineClient;
  s3: S3Client;
  securityHub: SecurityHubClient;
  /** @octokit/rest clients (check-github-app.ts); needed only with --github-repo. */
  github?: GitHubClients;
}

export type { CheckLine };

/** An error with no HTTP answer, or one about the caller's credentials, means AWS was not reached. */
const unreachable = (error: unknown): boolean =>
  httpStatus(error) === undefined || classifyAwsError(error) === 'credentials';

/**
 * The line for a check whose AWS call failed, by the shared classification (pipeline/aws-errors.ts):
 * AWS not reached ends the run (Unreachable); a missing resource and a refused permission get their fix.
 */
function failedCheck(what: string, error: unknown, fixes: { notFound: string; denied: string }): CheckLine {
  if (unreachable(error)) throw new Unreachable('AWS', errorMessage(error), { cause: error });
  const kind = classifyAwsError(error);
  if (kind === 'not-found') return { ok: false, what: `${what}: not found`, fix: fixes.notFound };
  if (kind === 'access-denied' || httpStatus(error) === 403)
    return { ok: false, what: `${what}: access denied`, fix: fixes.denied };
  return { ok: false, what: `${what}: ${errorCode(error)}`, fix: errorMessage(error) };
}

async function checkConnection(clients: DoctorClients, arn: string): Promise<CheckLine> {
  const what = `GitHub connection ${arn}`;
  // The same reading and wording as the action's and the bot's explanation of a failed Source action.
  const { status, problem, error } = await diagnoseConnection(clients.connections, arn);
  if (error !== undefined)
    return failedCheck(what, error, {
      notFound: 'check --connection (the GitHubConnectionArn output of the storage stack) and --region',
      denied: 'the caller needs codestar-connections:GetConnection (codeconnections:GetConnection) on it',
    });
  return problem
    ? { ok: false, what: `${what}: ${status ?? 'unknown'}`, fix: problem }
    : { ok: true, what: `${what}: AVAILABLE` };
}

/** The source action's connection and the trigger filters a pipeline of this kind should have. */
function pipelineProblems(p: PipelineDeclaration, kind: 'main' | 'feature', connection?: string): string[] {
  const problems: string[] = [];
  if (p.pipelineType !== 'V2')
    problems.push(
      `it is ${p.pipelineType ?? 'V1'}, not V2 (triggers and variables need V2): redeploy it with the pipelines stack`,
    );
  const sources = (p.stages ?? [])
    .flatMap((s) => s.actions ?? [])
    .filter((a) => a.actionTypeId?.provider === 'CodeStarSourceConnection');
  if (!sources.length)
    problems.push('it has no CodeStarSourceConnection source action: redeploy it with the pipelines stack');
  const connections = sources.map((a) => a.configuration?.ConnectionArn);
  if (connection && sources.length && !connections.includes(connection))
    problems.push(
      `its source uses ${connections.join(', ')}, not ${connection}: check --connection or redeploy`,
    );
  const git = (p.triggers ?? [])
    .filter((t) => t.providerType === 'CodeStarSourceConnection')
    .map((t) => t.gitConfiguration);
  const push = git.some((g) => g?.push?.length);
  const pullRequest = git.some((g) => g?.pullRequest?.length);
  if (kind === 'main' && !push)
    problems.push(
      'it has no push trigger, so merges to the main branch start nothing: redeploy it with the pipelines stack',
    );
  if (kind === 'feature' && !push && !pullRequest)
    problems.push(
      'it has neither a push nor a pull-request trigger, so branches start nothing: redeploy it with the pipelines stack',
    );
  return problems;
}

async function checkPipeline(
  clients: DoctorClients,
  name: string,
  kind: 'main' | 'feature',
  connection?: string,
): Promise<CheckLine> {
  const what = `${kind} pipeline ${name}`;
  try {
    const { pipeline } = await clients.codepipeline.send(new GetPipelineCommand({ name }));
    const problems = pipeline
      ? pipelineProblems(pipeline, kind, connection)
      : ['GetPipeline returned no pipeline'];
    return problems.length
      ? { ok: false, what, fix: problems.join('; ') }
      : { ok: true, what: `${what}: V2, source and triggers as expected` };
  } catch (error) {
    return failedCheck(what, error, {
      notFound: `deploy the pipelines stack, or check --${kind}-pipeline and --region`,
      denied: 'the caller needs codepipeline:GetPipeline on it',
    });
  }
}

async function checkBucket(clients: DoctorClients, bucket: string): Promise<CheckLine> {
  const what = `findings bucket ${bucket}`;
  try {
    await clients.s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return { ok: true, what: `${what}: reachable` };
  } catch (error) {
    if (unreachable(error)) throw new Unreachable('AWS', errorMessage(error), { cause: error });
    const status = httpStatus(error);
    if (status === 404)
      return {
        ok: false,
        what: `${what}: does not exist`,
        fix: 'deploy the storage stack, or check --bucket (the findings bucket output)',
      };
    if (status === 403)
      return {
        ok: false,
        what: `${what}: access denied`,
        fix: 'the caller needs s3:ListBucket on it (and the bucket must be in this account)',
      };
    if (status === 301)
      return {
        ok: false,
        what: `${what}: in another region`,
        fix: 'pass the region the bucket is in with --region',
      };
    return { ok: false, what: `${what}: ${errorCode(error)}`, fix: errorMessage(error) };
  }
}

async function checkSecurityHub(clients: DoctorClients): Promise<CheckLine> {
  const what = 'Security Hub';
  try {
    const hub = await clients.securityHub.send(new DescribeHubCommand({}));
    return { ok: true, what: `${what}: enabled${hub.HubArn ? ` (${hub.HubArn})` : ''}` };
  } catch (error) {
    if (unreachable(error)) throw new Unreachable('AWS', errorMessage(error), { cause: error });
    // Security Hub answers "not subscribed" with InvalidAccessException; its ResourceNotFound means the same.
    if (
      /InvalidAccessException|ResourceNotFoundException/.test(errorCode(error)) &&
      !/AccessDenied/.test(errorMessage(error))
    )
      return {
        ok: false,
        what: `${what}: not enabled in this account and region`,
        fix: 'enable it (aws securityhub enable-security-hub), or turn publishing to Security Hub off',
      };
    if (classifyAwsError(error) === 'access-denied' || httpStatus(error) === 403)
      return { ok: false, what: `${what}: access denied`, fix: 'the caller needs securityhub:DescribeHub' };
    return { ok: false, what: `${what}: ${errorCode(error)}`, fix: errorMessage(error) };
  }
}

/**
 * Checks a deployment end to end, one line per check with its fix: the GitHub connection AVAILABLE, the
 * pipelines V2 with their source on that connection and the expected triggers, the findings bucket
 * reachable, Security Hub enabled when publishing is on. 0 all passed, 1 a check failed, 3 AWS unreachable.
 */
export async function runDoctor(
  flags: DoctorFlags,
  clients: DoctorClients,
  write: (line: string) => void = (line) => void process.stdout.write(`${line}\n`),
): Promise<number> {
  const checks: (() => Promise<CheckLine | CheckLine[]>)[] = [];
  if (flags.connection) checks.push(() => checkConnection(clients, flags.connection!));
  if (flags.mainPipeline)
    checks.push(() => checkPipeline(clients, flags.mainPipeline!, 'main', flags.connection));
  if (flags.featurePipeline)
    checks.push(() => checkPipeline(clients, flags.featurePipeline!, 'feature', flags.connection));
  if (flags.bucket) checks.push(() => checkBucket(clients, flags.bucket!));
  if (flags.securityHub) checks.push(() => checkSecurityHub(clients));
  if (flags.githubRepo?.length) {
    const targets = flags.githubRepo.map((r) => parseRepoTarget(r, flags.mainBranch ?? 'main'));
    const github = clients.github;
    if (!github) throw new PipewardenError('--github-repo needs a GitHub client (internal)');
    checks.push(() =>
      github.mode === 'app'
        ? checkGitHubApp(github.github, targets, github.withToken)
        : checkGitHubToken(github.github, targets),
    );
  }
  if (!checks.length)
    throw new PipewardenError(
      'doctor has nothing to check: pass --connection, --main-pipeline, --feature-pipeline, --bucket, --security-hub and/or --github-repo (see docs/doctor.md)',
    );
  let failed = 0;
  for (const check of checks) {
    let lines: CheckLine[];
    try {
      lines = [await check()].flat();
    } catch (error) {
      if (!(error instanceof Unreachable)) throw error;
      write(
        error.service === 'AWS'
          ? `✗ AWS unreachable: ${error.message}: check the network, AWS credentials and --region, then run again`
          : `✗ GitHub unreachable: ${error.message}: check the network and --github-api-url, then run again`,
      );
      return 3;
    }
    for (const line of lines) {
      if (!line.ok) failed++;
      write(line.ok ? `✓ ${line.what}` : `✗ ${line.what}: ${line.fix}`);
    }
  }
  return failed ? 1 : 0;
}

/** `pipewarden doctor`: clients made here, at the edge, with the region given or the SDK's default. */
export function addDoctorCommand(program: Command, exit: { code: number }): void {
  program
    .command('doctor')
    .description(
      'check a deployment: GitHub connection AVAILABLE, pipelines V2 with their triggers, findings bucket reachable, Security Hub enabled',
    )
    .option('--connection <arn>', 'the GitHub connection (the storage stack output GitHubConnectionArn)')
    .option('--main-pipeline <name>', 'the main pipeline: V2 with a push trigger')
    .option('--feature-pipeline <name>', 'the feature pipeline: V2 with a push or pull-request trigger')
    .option('--bucket <name>', 'the findings bucket (default: PIPEWARDEN_FINDINGS_BUCKET)')
    .option('--security-hub', 'publishing to Security Hub is on: check that it is enabled')
    .option('--region <region>', 'AWS region (default: AWS_REGION)')
    .option(
      '--github-repo <owner/name>',
      'a repository of the deployment (repeat for each): the App installed with the permissions the bot needs, its default branch the main branch',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--main-branch <branch>', "the config's main branch for --github-repo", 'main')
    .option('--github-app-id <id>', "the GitHub App's id (default: APP_ID)")
    .option(
      '--github-private-key <file>',
      "the App's private key, .pem (default: the key itself in PRIVATE_KEY, else the file PRIVATE_KEY_PATH, as the bot's Probot reads them); without the App's credentials, GITHUB_TOKEN checks the default branch only",
    )
    .option(
      '--github-api-url <url>',
      'GitHub REST API (default: GITHUB_API_URL, else https://api.github.com)',
    )
    .action(async (flags: DoctorFlags) => {
      const env = process.env;
      const bucket = flags.bucket ?? env.PIPEWARDEN_FINDINGS_BUCKET;
      const config = flags.region ? { region: flags.region } : {};
      exit.code = await runDoctor(
        { ...flags, ...(bucket ? { bucket } : {}) },
        {
          connections: new CodeStarConnectionsClient(config),
          codepipeline: new CodePipelineClient(config),
          s3: new S3Client(config),
          securityHub: new SecurityHubClient(config),
          ...(flags.githubRepo?.length ? { github: githubFromFlags(flags, env) } : {}),
        },
      );
    });
}

/** The App's credentials (Probot's variable names) or a token, read here at the edge. */
function githubFromFlags(flags: DoctorFlags, env: NodeJS.ProcessEnv) {
  const privateKey = readAppPrivateKey(flags.githubPrivateKey, env);
  const appId = flags.githubAppId ?? env.APP_ID;
  return githubClient({
    ...(appId ? { appId } : {}),
    ...(privateKey ? { privateKey } : {}),
    ...(env.GITHUB_TOKEN ? { token: env.GITHUB_TOKEN } : {}),
    baseUrl: flags.githubApiUrl ?? env.GITHUB_API_URL ?? 'https://api.github.com',
  });
}
