import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { describeIssues } from '../describe-zod-issues.js';
import { PipewardenError } from '../errors.js';
import { parseDay } from '../model/parse-day.js';
import { SEVERITIES } from '../model/severity.js';

const severity = z
  .string()
  .transform((s) => s.toUpperCase())
  .pipe(z.enum(SEVERITIES));

// A real day with a four-digit year: `99999` is not read as the year 99999 (it would never expire).
const date = z.union([z.date(), z.string(), z.number()]).transform((value, ctx) => {
  const day = parseDay(value);
  if (day === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `${value instanceof Date ? 'an invalid date' : JSON.stringify(String(value).slice(0, 40))} is not a date such as 2026-12-31 (a real day, four-digit year)`,
    });
    return z.NEVER;
  }
  return day;
});

/** Text that says something: a whitespace-only reason is no reason. */
const text = (what: string) => z.string().refine((s) => s.trim() !== '', `${what} is required (not blank)`);

/** One suppression: at least one matcher, always a reason; `expires` ends it. */
export const suppressionSchema = z
  .object({
    fingerprint: z.string().min(1).optional(),
    rule: z.string().min(1).optional(),
    vulnerability: z.string().min(1).optional(),
    package: z.string().min(1).optional(),
    path: z.string().min(1).optional(),
    reason: text('a reason'),
    expires: date.optional(),
    approvedBy: z.string().min(1).optional(),
  })
  .strict()
  .refine((s) => s.fingerprint || s.rule || s.vulnerability || s.package || s.path, {
    message: 'needs at least one of fingerprint, rule, vulnerability, package, path',
  });

/** `.github/pipewarden.yml` in the scanned repository: read by the CLI (--config) and the bot. */
export const repoConfigSchema = z
  .object({
    gate: z
      .object({
        failOn: severity.default('HIGH'),
        newOnly: z.boolean().default(false),
        /** Fail closed when a report is missing or unreadable, unless explicitly allowed. */
        allowMissingReports: z.boolean().default(false),
      })
      .strict()
      .default({ failOn: 'HIGH', newOnly: false, allowMissingReports: false }),
    suppressions: z.array(suppressionSchema).default([]),
    comment: z
      .object({
        mode: z.enum(['always', 'on-findings', 'never']).default('always'),
      })
      .strict()
      .default({ mode: 'always' }),
    annotations: z
      .object({
        max: z.number().int().min(0).max(10000).default(500),
        minSeverity: severity.default('LOW'),
      })
      .strict()
      .default({ max: 500, minSeverity: 'LOW' }),
    approvals: z
      .object({
        /** The repository permission a sender needs to approve, reject or stop a deployment. */
        permission: z.enum(['admin', 'maintain', 'write']).default('maintain'),
        approvers: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ permission: 'maintain', approvers: [] }),
    pipeline: z
      .object({
        /** Start the feature pipeline from the bot for repositories without V2 pull-request triggers. */
        startOnPullRequest: z.boolean().default(false),
        name: z.string().min(1).optional(),
      })
      .strict()
      .default({ startOnPullRequest: false }),
    codeScanning: z
      .object({
        /** Upload the gate's SARIF to GitHub code scanning (the App needs `security_events: write`). */
        upload: z.boolean().default(false),
      })
      .strict()
      .default({ upload: false }),
  })
  .strict();

export type RepoConfig = z.output<typeof repoConfigSchema>;
export type SuppressionRule = z.output<typeof suppressionSchema>;

export const DEFAULT_CONFIG: RepoConfig = repoConfigSchema.parse({});

/** Validates an already-parsed config; the error names the field and what it accepts. */
export function parseRepoConfig(value: unknown, source = '.github/pipewarden.yml'): RepoConfig {
  const result = repoConfigSchema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new PipewardenError(`${source}: ${describeIssues(result.error.issues)}`);
}

export async function loadRepoConfig(file: string): Promise<RepoConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new PipewardenError(
      `${file}: cannot read the config (${(error as NodeJS.ErrnoException).code ?? 'error'}); check --config`,
      {
        cause: error,
      },
    );
  }
  return parseRepoConfigText(text, file);
}

/** Parses and validates a config's YAML text; `source` names it in the error. */
export function parseRepoConfigText(text: string, source: string): RepoConfig {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new PipewardenError(`${source}: not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  return parseRepoConfig(value, source);
}
