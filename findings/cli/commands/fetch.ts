import { Inspector2Client } from '@aws-sdk/client-inspector2';
import { S3Client } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { PipewardenError } from '../../errors.js';
import { fetchBaseline } from '../../fetch/fetch-baseline.js';
import {
  checkInspectorCoverage,
  fetchInspectorFindings,
  notScannedReport,
  ONBOARDING_DOC,
} from '../../fetch/fetch-inspector.js';
import { formatPolicyFile, POLICY_PATH } from '../../config/policy-file.js';
import { checkStoreContext } from '../../publish/publish-s3.js';
import { scanContext } from '../scan-context.js';
import { writeOutput } from '../write-output.js';

interface InspectorFlags {
  repository?: string;
  out?: string;
  snippets: boolean;
  allowNotCovered?: boolean;
}

interface BaselineFlags {
  bucket?: string;
  repo?: string;
  branch?: string;
  out: string;
  policyOut?: string;
}

/** `fetch inspector` and `fetch baseline`: inputs the gate needs that live in AWS, written as files. */
export function addFetchCommand(program: Command): void {
  const fetch = program
    .command('fetch')
    .description('download inputs from AWS: Inspector findings, the baseline');

  fetch
    .command('inspector')
    .description(
      'Amazon Inspector code security findings of a code repository (ListFindings, all pages, with code snippets), as a report the engine reads; first checks that Inspector covers the repository (ListCoverage) and fails if it does not',
    )
    .option(
      '--repository <project>',
      'the code repository’s project name in Inspector (default: PIPEWARDEN_INSPECTOR_PROJECT, else PIPEWARDEN_REPO)',
    )
    .option('--out <file>', 'write here (atomically) instead of stdout')
    .option('--no-snippets', 'skip BatchGetCodeSnippet')
    .option(
      '--allow-not-covered',
      `a repository Inspector code security does not cover is written as a "not scanned" report (the gate warns) instead of failing (default: PIPEWARDEN_INSPECTOR_ALLOW_NOT_COVERED=true); onboarding: ${ONBOARDING_DOC}`,
    )
    .action((flags: InspectorFlags) => runFetchInspector(flags));

  fetch
    .command('baseline')
    .description(
      'the baseline branch’s latest findings document from the findings store (none yet, the first run, is not an error: --out is not written), and with --policy-out the policy that branch’s gate applied',
    )
    .option('--bucket <name>', 'the findings bucket (default: PIPEWARDEN_FINDINGS_BUCKET)')
    .option(
      '--repo <owner/name>',
      'repository (default: PIPEWARDEN_REPO, GITHUB_REPOSITORY or CODEBUILD_SOURCE_REPO_URL)',
    )
    .option('--branch <name>', 'the baseline branch (default: PIPEWARDEN_BASELINE_BRANCH)')
    .requiredOption('--out <file>', 'where to write the baseline document')
    .option(
      '--policy-out <file>',
      'always write the policy to apply here: the .github/pipewarden.yml the baseline’s run applied, or {} (the defaults) when the branch has recorded none; give it to the gate as --config',
    )
    .action((flags: BaselineFlags) => runFetchBaseline(flags));
}

export async function runFetchInspector(flags: InspectorFlags, env = process.env): Promise<void> {
  const repository = flags.repository ?? env.PIPEWARDEN_INSPECTOR_PROJECT ?? env.PIPEWARDEN_REPO;
  if (!repository)
    throw new PipewardenError(
      'no code repository: pass --repository <project name> (as Inspector code security shows it) or set PIPEWARDEN_INSPECTOR_PROJECT',
    );
  const allowNotCovered = flags.allowNotCovered ?? allowNotCoveredFromEnv(env);
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  // ListFindings is throttled per account: let the SDK's own back-off try a few more times than its default.
  const client = new Inspector2Client({ maxAttempts: 6 });
  // No coverage, no findings: an empty answer from an un-onboarded repository must not pass the gate.
  const coverage = await checkInspectorCoverage(client, { repository, ...(region ? { region } : {}) });
  if (!coverage.covered) {
    const what = `Inspector code security does not cover ${repository}${region ? ` in ${region}` : ''} (${coverage.reason})`;
    if (!allowNotCovered)
      throw new PipewardenError(
        `${what}: onboard it (the GitHub integration and a scan configuration, ${ONBOARDING_DOC}) and run again, or pass --allow-not-covered (PIPEWARDEN_INSPECTOR_ALLOW_NOT_COVERED=true) to report it as not scanned`,
      );
    await writeOutput(
      flags.out,
      `${JSON.stringify(notScannedReport(repository, coverage.reason), null, 2)}\n`,
    );
    process.stderr.write(
      `pipewarden: warning: ${what}; allowed by --allow-not-covered: written as NOT SCANNED${flags.out ? ` → ${flags.out}` : ''}\n`,
    );
    return;
  }
  const scanned = coverage.resource.resourceMetadata?.codeRepository?.lastScannedCommitId;
  const at = coverage.resource.lastScannedAt?.toISOString();
  process.stderr.write(
    `pipewarden: Inspector covers ${repository}${scanned ? `, last scanned commit ${scanned}` : ''}${at ? ` at ${at}` : ''}\n`,
  );
  const result = await fetchInspectorFindings(client, {
    repository,
    snippets: flags.snippets,
    ...(region ? { region } : {}),
  });
  await writeOutput(flags.out, `${JSON.stringify(result.export, null, 2)}\n`);
  for (const w of result.warnings) process.stderr.write(`pipewarden: warning: ${w}\n`);
  const snippets = result.export.codeSnippetResults?.length ?? 0;
  process.stderr.write(
    `pipewarden: Inspector: ${result.export.findings.length} finding(s) for ${repository} in ${result.pages} page(s), ${snippets} code snippet(s)${flags.out ? ` → ${flags.out}` : ''}\n`,
  );
}

function allowNotCoveredFromEnv(env: NodeJS.ProcessEnv): boolean {
  const value = (env.PIPEWARDEN_INSPECTOR_ALLOW_NOT_COVERED ?? '').trim().toLowerCase();
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new PipewardenError(
    `PIPEWARDEN_INSPECTOR_ALLOW_NOT_COVERED=${env.PIPEWARDEN_INSPECTOR_ALLOW_NOT_COVERED}: set true or false`,
  );
}

export async function runFetchBaseline(flags: BaselineFlags, env = process.env): Promise<void> {
  const bucket = flags.bucket ?? env.PIPEWARDEN_FINDINGS_BUCKET;
  if (!bucket)
    throw new PipewardenError(
      'no findings bucket: pass --bucket <name> or set PIPEWARDEN_FINDINGS_BUCKET (the pipeline sets it)',
    );
  const branch = flags.branch ?? env.PIPEWARDEN_BASELINE_BRANCH;
  if (!branch)
    throw new PipewardenError('no baseline branch: pass --branch <name> or set PIPEWARDEN_BASELINE_BRANCH');
  const ctx = scanContext({ ...(flags.repo ? { repo: flags.repo } : {}) }, env);
  // Only the repository matters here; any well-formed sha satisfies the shared check.
  const { repo } = checkStoreContext(ctx.repo, '0000000');
  const client = new S3Client({});
  const got = await fetchBaseline(client, { bucket, repo, branch });
  if (!got.found)
    process.stdout.write(
      `pipewarden: no baseline yet at s3://${bucket}/${got.key}: the first run on ${branch}; the gate runs without one\n`,
    );
  else {
    await writeOutput(flags.out, got.body);
    process.stdout.write(
      `pipewarden: baseline s3://${bucket}/${got.key} (commit ${got.commit ?? 'unknown'}, ${got.generatedAt ?? 'undated'}) → ${flags.out}\n`,
    );
  }
  if (!flags.policyOut) return;
  const at = `${branch}@${got.found && got.commit ? got.commit : 'unknown'}`;
  if (got.found && got.policy) {
    // Whatever the base branch's run applied, now labelled as coming from the base branch.
    await writeOutput(
      flags.policyOut,
      formatPolicyFile({
        origin: 'base-branch',
        file: got.policy.file ?? POLICY_PATH,
        branch,
        ...(got.commit ? { commit: got.commit } : {}),
        text: got.policy.text,
      }),
    );
    process.stdout.write(
      `pipewarden: policy of ${at} (${got.policy.origin === 'default' ? 'pipewarden’s defaults' : (got.policy.file ?? POLICY_PATH)}, as its gate applied it) → ${flags.policyOut}\n`,
    );
    return;
  }
  await writeOutput(
    flags.policyOut,
    formatPolicyFile({
      origin: 'default',
      branch,
      ...(got.found && got.commit ? { commit: got.commit } : {}),
      text: '{}',
    }),
  );
  process.stdout.write(
    `pipewarden: ${branch} has recorded no policy yet (${got.found ? `its baseline at ${at} carries none` : 'no baseline'}): pipewarden’s defaults apply → ${flags.policyOut}\n`,
  );
}
