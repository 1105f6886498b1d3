import { readFile } from 'node:fs/promises';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { S3Client } from '@aws-sdk/client-s3';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { Command } from 'commander';
import { assertFindingsDocument } from '../../document/validate-document.js';
import { PipewardenError } from '../../errors.js';
import type { FindingsDocument } from '../../model/finding.js';
import { parseJsonText } from '../../parse/parse-json-text.js';
import { publishToS3 } from '../../publish/publish-s3.js';
import { publishToSecurityHub } from '../../publish/publish-security-hub.js';
import { executionStartTime, parseBaselineOrder } from '../baseline-order.js';
import { parseEcrImage, renderAsff, requireAccountAndRegion } from '../../render/render-asff.js';
import { outputText, RENDERERS } from '../../render/renderers.js';
import { analyzeReports, type AnalyzeFlags } from '../analyze-reports.js';
import { accountFromBuildArn } from '../scan-context.js';

interface PublishFlags extends AnalyzeFlags {
  document?: string;
}

interface S3Flags extends PublishFlags {
  bucket?: string;
  executionOnly?: boolean;
  baselineBranch?: string;
  commitTime?: string;
  baselineOrder?: string;
}

interface SecurityHubFlags extends PublishFlags {
  account?: string;
  region?: string;
  image?: string;
}

/**
 * `publish s3` and `publish securityhub`: the same inputs as `report` (scanner outputs) or a findings
 * document. `addAnalyzeOptions` comes from program.ts, passed in so the two modules do not import each other.
 */
export function addPublishCommand(program: Command, addAnalyzeOptions: (cmd: Command) => Command): void {
  const publish = program
    .command('publish')
    .description('send findings to the S3 findings store or to Security Hub');

  addAnalyzeOptions(
    publish
      .command('s3')
      .description(
        'store <owner>/<repo>/pipelines/<pipeline>/executions/<id>/findings.json (+ .sarif, .md), and unless --execution-only commits/<sha>/ too and, on the baseline branch, branches/<branch>/latest.json',
      )
      .argument('[reports...]', 'scanner outputs or findings documents (or use --document)')
      .option('--document <file>', 'a findings document from `report --format json` or `gate --out`')
      .option('--bucket <name>', 'the findings bucket (default: PIPEWARDEN_FINDINGS_BUCKET)')
      .option(
        '--execution-only',
        'write only the run’s execution prefix: no commits/<sha>/, no latest.json (the feature pipeline: unreviewed code)',
      )
      .option(
        '--baseline-branch <branch>',
        'write latest.json when the scanned branch is this one (default: PIPEWARDEN_BASELINE_BRANCH)',
      )
      .option(
        '--commit-time <iso>',
        'order baselines by this time instead of the document’s generatedAt (default: PIPEWARDEN_COMMIT_TIME)',
      )
      .option(
        '--baseline-order <order>',
        'what orders latest.json: execution-start (the CodePipeline execution’s start, asked of CodePipeline; what the main gate uses) or generated-at (default: PIPEWARDEN_BASELINE_ORDER, else generated-at)',
      ),
  ).action((files: string[], flags: S3Flags) => runPublishS3(files, flags));

  addAnalyzeOptions(
    publish
      .command('securityhub')
      .description(
        'import the findings into Security Hub (BatchImportFindings); findings fixed since the baseline are archived',
      )
      .argument('[reports...]', 'scanner outputs or findings documents (or use --document)')
      .option('--document <file>', 'a findings document from `report --format json` or `gate --out`')
      .option('--account <id>', 'AWS account (default: from CODEBUILD_BUILD_ARN, else AWS_ACCOUNT_ID)')
      .option('--region <region>', 'AWS region (default: AWS_REGION)')
      .option(
        '--image <uri>',
        'the ECR image container findings belong to, <registry>/<name>[:tag][@sha256:…] (default: PIPEWARDEN_IMAGE_URI)',
      ),
  ).action((files: string[], flags: SecurityHubFlags) => runPublishSecurityHub(files, flags));
}

/** Reports are analyzed like `report`; a document is taken as it is, with context flags applied on top. */
async function loadFindings(files: string[], flags: PublishFlags): Promise<FindingsDocument> {
  if (flags.document && files.length)
    throw new PipewardenError('give either reports or --document <file>, not both');
  if (!flags.document) {
    if (!files.length)
      throw new PipewardenError(
        'nothing to publish: give the reports (as for `report`) or --document <findings.json>',
      );
    return analyzeReports(files, flags, { missingIsError: true });
  }
  let text: string;
  try {
    text = (await readFile(flags.document)).toString('utf8');
  } catch (error) {
    throw new PipewardenError(
      `--document ${flags.document}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'}); pass the findings document the gate wrote`,
      { cause: error },
    );
  }
  const json = assertFindingsDocument(
    parseJsonText(text, flags.document),
    `--document ${JSON.stringify(flags.document)}`,
    'pass the document `pipewarden gate --out` or `report --format json` wrote',
  );
  const context = { ...json.context };
  if (flags.repo) context.repo = flags.repo;
  if (flags.commit) context.commit = flags.commit;
  if (flags.branch) context.branch = flags.branch;
  // The run's store prefix: the flags, else what the gate recorded, else the pipeline's variables.
  const pipeline = flags.pipeline ?? context.pipeline ?? process.env.PIPEWARDEN_PIPELINE;
  if (pipeline) context.pipeline = pipeline;
  const execution = flags.execution ?? context.pipelineExecutionId ?? process.env.PIPEWARDEN_EXECUTION_ID;
  if (execution) context.pipelineExecutionId = execution;
  return { ...json, context, fixed: json.fixed ?? [] };
}

function renderText(id: string, doc: FindingsDocument): string | undefined {
  const render = RENDERERS.get(id);
  if (!render) return undefined;
  return outputText(render(doc, {}));
}

export async function runPublishS3(files: string[], flags: S3Flags, env = process.env): Promise<void> {
  const bucket = flags.bucket ?? env.PIPEWARDEN_FINDINGS_BUCKET;
  if (!bucket)
    throw new PipewardenError(
      'no findings bucket: pass --bucket <name> or set PIPEWARDEN_FINDINGS_BUCKET (the pipeline sets it)',
    );
  const baselineOrder =
    parseBaselineOrder(flags.baselineOrder, '--baseline-order') ??
    parseBaselineOrder(env.PIPEWARDEN_BASELINE_ORDER, 'PIPEWARDEN_BASELINE_ORDER') ??
    'generated-at';
  const byExecution = baselineOrder === 'execution-start';
  if (byExecution && flags.commitTime)
    throw new PipewardenError(
      '--commit-time with --baseline-order execution-start: give one; the execution’s start is the time the pipeline vouches for',
    );
  let orderKey: string | undefined;
  // Under execution-start, no variable may reorder the baseline: only CodePipeline's record counts.
  const commitTime = byExecution ? undefined : (flags.commitTime ?? env.PIPEWARDEN_COMMIT_TIME);
  if (commitTime) {
    const t = new Date(commitTime);
    if (Number.isNaN(t.getTime()))
      throw new PipewardenError(
        `--commit-time ${commitTime}: not a time; pass ISO 8601, e.g. 2026-11-28T12:00:00Z`,
      );
    orderKey = t.toISOString();
  }
  const doc = await loadFindings(files, flags);
  // Everything is rendered before the first upload: a renderer failing uploads nothing.
  const json = renderText('json', doc)!;
  const sarif = renderText('sarif', doc);
  const markdown = renderText('markdown', doc);
  const baselineBranch = flags.baselineBranch ?? env.PIPEWARDEN_BASELINE_BRANCH;
  const client = new S3Client({});
  let startedAt: string | undefined;
  const baselineTime = byExecution
    ? async () =>
        (startedAt = await executionStartTime(
          new CodePipelineClient({}),
          doc.context.pipeline!,
          doc.context.pipelineExecutionId!,
        ))
    : undefined;
  const result = await publishToS3(
    client,
    doc,
    { json, ...(sarif !== undefined ? { sarif } : {}), ...(markdown !== undefined ? { markdown } : {}) },
    {
      bucket,
      ...(flags.executionOnly ? { executionOnly: true } : {}),
      ...(baselineBranch ? { baselineBranch } : {}),
      ...(orderKey ? { orderKey } : {}),
      ...(baselineTime ? { baselineTime } : {}),
      log: (line) => process.stderr.write(`${line}\n`),
    },
  );
  for (const key of result.keys) process.stdout.write(`pipewarden: stored s3://${bucket}/${key}\n`);
  const b = result.baseline;
  if (startedAt)
    process.stdout.write(
      `pipewarden: baseline ordered by the start of execution ${doc.context.pipelineExecutionId} (${startedAt})\n`,
    );
  if (b.status === 'kept-newer')
    process.stdout.write(
      `pipewarden: baseline s3://${bucket}/${b.key} kept: it is from a later run (${b.newer}) than this one\n`,
    );
  else if (b.status === 'execution-only')
    process.stdout.write(
      'pipewarden: --execution-only: only this execution’s findings were stored (no commits/, no latest.json)\n',
    );
  else if (b.status === 'not-baseline-branch')
    process.stdout.write(
      `pipewarden: baseline not updated: branch ${doc.context.branch ?? '(unknown)'} is not the baseline branch${baselineBranch ? ` ${baselineBranch}` : ' (none set: --baseline-branch / PIPEWARDEN_BASELINE_BRANCH)'}\n`,
    );
  for (const w of doc.warnings) process.stderr.write(`pipewarden: warning: ${w}\n`);
}

export async function runPublishSecurityHub(
  files: string[],
  flags: SecurityHubFlags,
  env = process.env,
): Promise<void> {
  const account = flags.account ?? accountFromBuildArn(env.CODEBUILD_BUILD_ARN) ?? env.AWS_ACCOUNT_ID;
  const region = flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  // Checked before any report is read: a misconfigured build fails fast, naming the flags.
  requireAccountAndRegion({ ...(account ? { accountId: account } : {}), ...(region ? { region } : {}) });
  const imageUri = flags.image ?? env.PIPEWARDEN_IMAGE_URI;
  const doc = await loadFindings(files, flags);
  let image;
  if (imageUri) {
    image = parseEcrImage(imageUri, doc.context.commit ? [doc.context.commit] : []);
    if (!image)
      throw new PipewardenError(
        `--image ${imageUri}: not an ECR image URI; pass <account>.dkr.ecr.<region>.amazonaws.com/<name>[:tag][@sha256:…]`,
      );
  }
  const findings = renderAsff(doc, { accountId: account!, region: region!, ...(image ? { image } : {}) });
  // pipewarden retries under its own rate limit (10 requests/s); SDK retries would bypass it.
  const client = new SecurityHubClient({ region: region!, maxAttempts: 1 });
  const result = await publishToSecurityHub(client, findings, {
    region: region!,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const archived = doc.fixed.length;
  const seconds = result.elapsedMs / 1000;
  process.stdout.write(
    `pipewarden: Security Hub (${account}, ${region}): imported ${result.imported} of ${findings.length} finding(s) (${archived} archived as fixed) in ${result.requests} request(s), ${result.retriedRequests} retried, ${seconds.toFixed(1)} s\n`,
  );
  for (const w of doc.warnings) process.stderr.write(`pipewarden: warning: ${w}\n`);
  if (result.failed.length) {
    const shown = result.failed
      .slice(0, 20)
      .map((f) => `${f.Id} (${f.ErrorCode}${f.ErrorMessage ? `: ${f.ErrorMessage}` : ''})`);
    const more = result.failed.length > 20 ? `; and ${result.failed.length - 20} more` : '';
    throw new PipewardenError(
      `Security Hub did not import ${result.failed.length} finding(s): ${shown.join('; ')}${more}; run the publish again (it is idempotent) or fix the findings named`,
      { exitCode: 3 },
    );
  }
}
