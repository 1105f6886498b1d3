import type { AwsSecurityFinding, Resource, Vulnerability } from '@aws-sdk/client-securityhub';
import { PipewardenError } from '../errors.js';
import type { Finding, FindingsDocument } from '../model/finding.js';
import type { Severity } from '../model/severity.js';

/**
 * AWS Security Finding Format for `BatchImportFindings`, under the account's own product
 * (`…:product/<account>/default`). Field limits are Security Hub's; the Types taxonomy is docs/asff-types.md.
 */

export const ASFF_SCHEMA_VERSION = '2018-10-08';
/** Security Hub rejects a finding above 240 KB; keep a margin for the request's own framing. */
export const MAX_FINDING_BYTES = 240 * 1024;
const LIMITS = {
  title: 256,
  description: 1024,
  recommendation: 512,
  note: 512,
  productField: 2048,
  other: 1024,
};

/** An ECR image the container findings belong to (the image the pipeline built). */
export interface EcrImage {
  registryId: string;
  region: string;
  repositoryName: string;
  digest?: string;
  tags?: string[];
}

export interface AsffOptions {
  accountId?: string;
  region?: string;
  image?: EcrImage;
}

const SEVERITY_LABEL: Record<Severity, 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFORMATIONAL'> = {
  CRITICAL: 'CRITICAL',
  HIGH: 'HIGH',
  MEDIUM: 'MEDIUM',
  LOW: 'LOW',
  INFO: 'INFORMATIONAL',
};

/** The AWS partition of a region: ARNs differ in China and GovCloud. */
export function partitionOf(region: string): 'aws' | 'aws-cn' | 'aws-us-gov' {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Account and region are required: every ASFF finding names both, and the ProductArn is built from them. */
export function requireAccountAndRegion(options: AsffOptions): { accountId: string; region: string } {
  const { accountId, region } = options;
  if (!accountId || !region)
    throw new PipewardenError(
      `ASFF needs the AWS account and region, and ${!accountId && !region ? 'neither is' : !accountId ? 'the account is not' : 'the region is not'} known: pass --account <12-digit id> and --region <region> (defaults: the account in CODEBUILD_BUILD_ARN, AWS_REGION)`,
    );
  if (!/^\d{12}$/.test(accountId))
    throw new PipewardenError(
      `--account ${accountId}: not an AWS account id; pass the 12-digit account number`,
    );
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region))
    throw new PipewardenError(`--region ${region}: not an AWS region; pass one such as eu-central-1`);
  return { accountId, region };
}

/** `<registry>.dkr.ecr.<region>.amazonaws.com/<name>[:tag][@sha256:…]`, as CodeBuild's PIPEWARDEN_ECR_REPOSITORY_URI. */
export function parseEcrImage(uri: string, extraTags: string[] = []): EcrImage | undefined {
  const m =
    /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)(?::([^@]+))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(
      uri.trim(),
    );
  if (!m) return undefined;
  const tags = [...new Set([...(m[4] ? [m[4]] : []), ...extraTags.filter(Boolean)])];
  return {
    registryId: m[1]!,
    region: m[2]!,
    repositoryName: m[3]!,
    ...(m[5] ? { digest: m[5] } : {}),
    ...(tags.length ? { tags } : {}),
  };
}

/** Cut to `max` characters (not bytes: Security Hub counts characters), never inside a surrogate pair. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** The documented taxonomy (docs/asff-types.md): one type per finding, by kind, vulnerability and rule pack. */
export function asffTypes(f: Pick<Finding, 'kind' | 'vulnerabilityIds' | 'ruleId' | 'tool'>): string[] {
  const checks = 'Software and Configuration Checks';
  switch (f.kind) {
    case 'dependency':
    case 'container':
      return [
        f.vulnerabilityIds.some((id) => id.startsWith('CVE-'))
          ? `${checks}/Vulnerabilities/CVE`
          : `${checks}/Vulnerabilities`,
      ];
    case 'code':
      return [`${checks}/Vulnerabilities`];
    case 'iac': {
      // cdk-nag's compliance packs map to Security Hub's regulatory categories; the rest are best practices.
      const standard = (
        [
          [/^HIPAA\.Security-/, 'HIPAA Controls (USA)'],
          [/^NIST\.800\.53\.R[45]-/, 'NIST 800-53 Controls (USA)'],
          [/^PCI\.DSS\.321-/, 'PCI-DSS'],
        ] as const
      ).find(([re]) => re.test(f.ruleId));
      return [
        standard
          ? `${checks}/Industry and Regulatory Standards/${standard[1]}`
          : `${checks}/AWS Security Best Practices`,
      ];
    }
    case 'secret':
      return ['Sensitive Data Identifications/Security'];
    default:
      return [checks];
  }
}

export interface AsffContext {
  accountId: string;
  region: string;
  productArn: string;
  image?: EcrImage;
}

export function asffContext(options: AsffOptions): AsffContext {
  const { accountId, region } = requireAccountAndRegion(options);
  const productArn = `arn:${partitionOf(region)}:securityhub:${region}:${accountId}:product/${accountId}/default`;
  return { accountId, region, productArn, ...(options.image ? { image: options.image } : {}) };
}

/** Stable across re-runs (the fingerprint), distinct per repository: a re-import updates, never duplicates. */
export function asffId(doc: Pick<FindingsDocument, 'context'>, f: Pick<Finding, 'fingerprint'>): string {
  return `pipewarden/${doc.context.repo ?? 'local'}/${f.fingerprint}`;
}

function httpUrl(value: string | undefined): string | undefined {
  return value && /^https?:\/\/\S+$/i.test(value) && value.length <= 1024 ? value : undefined;
}

function sourceUrl(doc: FindingsDocument, f: Finding): string | undefined {
  const { repo, commit, serverUrl } = doc.context;
  if (!repo || !commit || !f.location) return undefined;
  const lines = f.location.startLine
    ? `#L${f.location.startLine}${f.location.endLine && f.location.endLine !== f.location.startLine ? `-L${f.location.endLine}` : ''}`
    : '';
  const path = f.location.path.split('/').map(encodeURIComponent).join('/');
  return `${serverUrl ?? 'https://github.com'}/${repo}/blob/${commit}/${path}${lines}`;
}

function resources(doc: FindingsDocument, f: Finding, ctx: AsffContext): Resource[] {
  const partition = partitionOf(ctx.region);
  const { repo, commit, branch, serverUrl, pipelineExecutionId } = doc.context;
  const other: Record<string, string> = {};
  if (repo) other.Repository = repo;
  if (commit) other.Commit = commit;
  if (branch) other.Branch = branch;
  if (f.location) {
    other.Path = f.location.path;
    if (f.location.startLine) other.StartLine = String(f.location.startLine);
  }
  if (f.package) other.Package = `${f.package.name}${f.package.version ? `@${f.package.version}` : ''}`;
  if (pipelineExecutionId) other.PipelineExecutionId = pipelineExecutionId;
  for (const k of Object.keys(other)) other[k] = cut(other[k]!, LIMITS.other);
  const source: Resource = {
    Type: 'Other',
    Id: cut(repo ? `${serverUrl ?? 'https://github.com'}/${repo}` : 'pipewarden/local-repository', 512),
    Partition: partition,
    Region: ctx.region,
    Details: { Other: other },
  };
  const image = ctx.image;
  if (f.kind !== 'container' || !image) return [source];
  const arn = `arn:${partition}:ecr:${image.region}:${image.registryId}:repository/${image.repositoryName}${image.digest ? `/${image.digest}` : ''}`;
  return [
    {
      Type: 'AwsEcrContainerImage',
      Id: arn,
      Partition: partition,
      Region: image.region,
      Details: {
        AwsEcrContainerImage: {
          RegistryId: image.registryId,
          RepositoryName: image.repositoryName,
          ...(image.digest ? { ImageDigest: image.digest } : {}),
          ...(image.tags?.length ? { ImageTags: image.tags } : {}),
        },
      },
    },
    source,
  ];
}

function vulnerabilities(f: Finding): Vulnerability[] | undefined {
  const cves = f.vulnerabilityIds.filter((id) => id.startsWith('CVE-'));
  if (!cves.length || !f.package) return undefined;
  const pkg = f.package;
  const related = f.vulnerabilityIds.filter((id) => !id.startsWith('CVE-') && !id.startsWith('CWE-'));
  return cves.map((id) => ({
    Id: id,
    VulnerablePackages: [
      {
        Name: pkg.name,
        ...(pkg.version ? { Version: pkg.version } : {}),
        ...(pkg.fixedVersion ? { FixedInVersion: pkg.fixedVersion } : {}),
        ...(pkg.ecosystem ? { PackageManager: pkg.ecosystem.toUpperCase() } : {}),
        ...(f.location ? { FilePath: f.location.path } : {}),
        ...(pkg.fixedVersion ? { Remediation: `Upgrade ${pkg.name} to ${pkg.fixedVersion}` } : {}),
      },
    ],
    FixAvailable: pkg.fixedVersion ? 'YES' : 'NO',
    ...(related.length ? { RelatedVulnerabilities: related } : {}),
    ...(f.cvss?.vector
      ? {
          Cvss: [
            {
              BaseScore: f.cvss.score,
              BaseVector: f.cvss.vector,
              ...(f.cvss.version ? { Version: f.cvss.version } : {}),
            },
          ],
        }
      : {}),
    ...(httpUrl(f.helpUri) ? { ReferenceUrls: [f.helpUri!] } : {}),
  }));
}

function recommendation(f: Finding): { Text: string; Url?: string } | undefined {
  const url = httpUrl(f.helpUri);
  const text =
    f.remediation?.trim() ||
    (f.package?.fixedVersion ? `Upgrade ${f.package.name} to ${f.package.fixedVersion} or later.` : '') ||
    (url ? `See ${url}` : '');
  if (!text) return undefined;
  return { Text: cut(text, LIMITS.recommendation), ...(url ? { Url: url } : {}) };
}

/** One ASFF finding. `archived`: fixed since the baseline, sent so Security Hub closes it. */
export function toAsff(
  doc: FindingsDocument,
  f: Finding,
  ctx: AsffContext,
  archived = false,
): AwsSecurityFinding {
  return fitFinding(buildFinding(doc, f, ctx, archived));
}

/** One ASFF finding as JSON, serialized once when it fits (as nearly all do), within Security Hub's size. */
export function toAsffJson(doc: FindingsDocument, f: Finding, ctx: AsffContext, archived = false): string {
  const finding = buildFinding(doc, f, ctx, archived);
  const json = JSON.stringify(finding);
  return fitsSecurityHub(json) ? json : JSON.stringify(fitFinding(finding));
}

/** UTF-8 bytes are counted only when the length alone (at most 3 bytes a UTF-16 unit) cannot tell. */
const fitsSecurityHub = (json: string): boolean =>
  json.length * 3 <= MAX_FINDING_BYTES || Buffer.byteLength(json, 'utf8') <= MAX_FINDING_BYTES;

function buildFinding(
  doc: FindingsDocument,
  f: Finding,
  ctx: AsffContext,
  archived: boolean,
): AwsSecurityFinding {
  const at = doc.generatedAt;
  const types = asffTypes(f);
  const label = SEVERITY_LABEL[f.severity];
  const original = cut(f.originalSeverity || f.severity, 64);
  const fields: Record<string, string> = {
    'pipewarden/Fingerprint': f.fingerprint,
    'pipewarden/Tools': [...new Set(f.sources.map((s) => s.tool))].join(', ') || f.tool,
    'pipewarden/RuleId': f.ruleId,
  };
  if (f.vulnerabilityIds.length) fields['pipewarden/VulnerabilityIds'] = f.vulnerabilityIds.join(', ');
  if (archived) fields['pipewarden/Status'] = 'fixed';
  else if (f.status) fields['pipewarden/Status'] = f.status;
  if (doc.context.commit) fields['pipewarden/Commit'] = doc.context.commit;
  for (const k of Object.keys(fields)) fields[k] = cut(fields[k]!, LIMITS.productField);
  const finding: AwsSecurityFinding = {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: asffId(doc, f),
    ProductArn: ctx.productArn,
    ProductName: 'pipewarden',
    CompanyName: 'pipewarden',
    Region: ctx.region,
    GeneratorId: cut(`pipewarden/${f.tool}/${f.ruleId}`, 512),
    AwsAccountId: ctx.accountId,
    Types: types,
    CreatedAt: at,
    UpdatedAt: at,
    Severity: { Label: label, Original: original },
    FindingProviderFields: { Severity: { Label: label, Original: original }, Types: types },
    // Security Hub refuses blank text: fall back to the rule, then to the tool and rule, never to whitespace.
    Title: cut(f.title.trim() || f.ruleId.trim() || `${f.tool} finding`, LIMITS.title),
    Description: cut(
      (f.description ?? f.title).trim() || f.ruleId.trim() || `${f.tool} finding`,
      LIMITS.description,
    ),
    Resources: resources(doc, f, ctx),
    ProductFields: fields,
    RecordState: archived ? 'ARCHIVED' : 'ACTIVE',
    Workflow: { Status: archived ? 'RESOLVED' : f.suppression ? 'SUPPRESSED' : 'NEW' },
  };
  const rec = recommendation(f);
  if (rec) finding.Remediation = { Recommendation: rec };
  const url = sourceUrl(doc, f);
  if (url) finding.SourceUrl = url;
  const vulns = vulnerabilities(f);
  if (vulns) finding.Vulnerabilities = vulns;
  if (f.suppression && !archived)
    finding.Note = {
      Text: cut(
        `Suppressed (${f.suppression.source}): ${f.suppression.reason}${f.suppression.expires ? ` (expires ${f.suppression.expires})` : ''}${f.suppression.approvedBy ? ` (approved by ${f.suppression.approvedBy})` : ''}`,
        LIMITS.note,
      ),
      UpdatedBy: 'pipewarden',
      UpdatedAt: at,
    };
  return finding;
}

export const findingBytes = (f: AwsSecurityFinding): number => Buffer.byteLength(JSON.stringify(f), 'utf8');

/**
 * Trims a finding to Security Hub's 240 KB: the long lists first (vulnerabilities, their references), then
 * the text fields. Every finding pipewarden builds fits after this; the result says when it was cut.
 */
export function fitFinding(finding: AwsSecurityFinding, maxBytes = MAX_FINDING_BYTES): AwsSecurityFinding {
  if (findingBytes(finding) <= maxBytes) return finding;
  const f: AwsSecurityFinding = structuredClone(finding);
  f.ProductFields = { ...f.ProductFields, 'pipewarden/Trimmed': 'true' };
  const fits = () => findingBytes(f) <= maxBytes;
  const steps: (() => void)[] = [
    () => {
      for (const v of f.Vulnerabilities ?? []) {
        v.ReferenceUrls = v.ReferenceUrls?.slice(0, 5);
        v.RelatedVulnerabilities = v.RelatedVulnerabilities?.slice(0, 10);
        v.VulnerablePackages = v.VulnerablePackages?.slice(0, 10);
      }
    },
    () => {
      while (!fits() && (f.Vulnerabilities?.length ?? 0) > 1)
        f.Vulnerabilities = f.Vulnerabilities!.slice(0, Math.ceil(f.Vulnerabilities!.length / 2));
    },
    () => {
      for (const [k, v] of Object.entries(f.ProductFields ?? {})) f.ProductFields![k] = cut(v, 256);
      for (const r of f.Resources ?? [])
        for (const [k, v] of Object.entries(r.Details?.Other ?? {})) r.Details!.Other![k] = cut(v, 256);
    },
    () => {
      f.Description = cut(f.Description ?? '', 256);
      if (f.Remediation?.Recommendation?.Text)
        f.Remediation.Recommendation.Text = cut(f.Remediation.Recommendation.Text, 128);
      if (f.Note) f.Note.Text = cut(f.Note.Text ?? '', 128);
    },
  ];
  for (const step of steps) {
    step();
    if (fits()) return f;
  }
  throw new PipewardenError(
    `finding ${finding.Id} is ${findingBytes(f)} bytes even trimmed, above Security Hub's ${maxBytes}; report this as a pipewarden bug`,
    { exitCode: 3 },
  );
}

/** Every current finding as ACTIVE (suppressed ones with Workflow SUPPRESSED) and every fixed one as ARCHIVED. */
export function renderAsff(doc: FindingsDocument, options: AsffOptions): AwsSecurityFinding[] {
  const ctx = asffContext(options);
  return [
    ...doc.findings.map((f) => toAsff(doc, f, ctx)),
    ...doc.fixed.map((f) => toAsff(doc, f, ctx, true)),
  ];
}

/** `report --format asff`: a JSON array, as `aws securityhub batch-import-findings --findings file://…` takes it. */
export function renderAsffText(doc: FindingsDocument, options: AsffOptions): Iterable<string> {
  // Validated now, not on the first chunk: a missing account fails before any output is opened.
  const ctx = asffContext(options);
  return asffChunks(doc, ctx);
}

const CHUNK = 1 << 20;

/** The array in chunks of about 1 MB: one write per finding would cost more than the findings. */
function* asffChunks(doc: FindingsDocument, ctx: AsffContext): Generator<string> {
  const total = doc.findings.length + doc.fixed.length;
  if (!total) {
    yield '[]\n';
    return;
  }
  let buf = '[\n';
  let i = 0;
  for (const [list, archived] of [
    [doc.findings, false],
    [doc.fixed, true],
  ] as const) {
    for (const f of list) {
      buf += `  ${toAsffJson(doc, f, ctx, archived)}${++i < total ? ',' : ''}\n`;
      if (buf.length >= CHUNK) {
        yield buf;
        buf = '';
      }
    }
  }
  yield `${buf}]\n`;
}
