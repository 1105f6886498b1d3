import { readFile, realpath, stat } from 'node:fs/promises';
import { sep } from 'node:path';
import { PipewardenError } from '../errors.js';
import type { AppliedPolicy } from '../model/finding.js';
import { DEFAULT_CONFIG, parseRepoConfigText, type RepoConfig } from './repo-config.js';

/** Where a repository keeps its pipewarden policy. */
export const POLICY_PATH = '.github/pipewarden.yml';

/**
 * The first line of a policy file written by `fetch baseline --policy-out`: a YAML comment naming where the
 * policy comes from, so the gate records it (`policy.origin`, `branch`, `commit`) without more flags.
 */
const HEADER = '# pipewarden-policy:';
const ORIGINS = ['repository', 'base-branch', 'default'] as const;

type Provenance = Omit<AppliedPolicy, 'text'>;

/** The header line and the policy text, as `fetch baseline --policy-out` writes them. */
export function formatPolicyFile(policy: AppliedPolicy): string {
  const fields: [string, string | undefined][] = [
    ['origin', policy.origin],
    ['file', policy.file],
    ['branch', policy.branch],
    ['commit', policy.commit],
  ];
  const header = fields
    .filter((f): f is [string, string] => !!f[1])
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join(' ');
  // The text as it was, byte for byte: the gate records exactly what the base branch applied.
  return `${HEADER} ${header}\n${policy.text}`;
}

/** Splits a policy file into its provenance header (when there is one) and the policy text. */
export function splitPolicyFile(content: string): { provenance?: Provenance; text: string } {
  if (!content.startsWith(HEADER)) return { text: content };
  const end = content.indexOf('\n');
  const line = end === -1 ? content : content.slice(0, end);
  const text = end === -1 ? '' : content.slice(end + 1);
  const fields = new Map<string, string>();
  for (const pair of line.slice(HEADER.length).trim().split(/\s+/)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    try {
      fields.set(pair.slice(0, eq), decodeURIComponent(pair.slice(eq + 1)));
    } catch {
      /* a malformed field is ignored: the header only labels the policy */
    }
  }
  const origin = fields.get('origin');
  if (!(ORIGINS as readonly string[]).includes(origin ?? '')) return { text };
  const provenance: Provenance = { origin: origin as Provenance['origin'] };
  for (const key of ['file', 'branch', 'commit'] as const) {
    const value = fields.get(key);
    if (value) provenance[key] = value;
  }
  return { provenance, text };
}

export interface ResolvedPolicy {
  config: RepoConfig;
  policy: AppliedPolicy;
}

async function readText(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new PipewardenError(
      `${flag} ${file}: cannot read the config (${(error as NodeJS.ErrnoException).code ?? 'error'}); check the path`,
      { cause: error },
    );
  }
}

/**
 * The policy the gate applies, from --config (origin from its header when `fetch baseline --policy-out`
 * wrote it; else `base-branch` when the run separates applied and proposed policy, else `repository`).
 */
export async function loadAppliedPolicy(
  file: string,
  defaultOrigin: AppliedPolicy['origin'],
): Promise<ResolvedPolicy> {
  const content = await readText(file, '--config');
  const { provenance, text } = splitPolicyFile(content);
  const config = parseRepoConfigText(content, file);
  const policy: AppliedPolicy = provenance ? { ...provenance, text } : { origin: defaultOrigin, file, text };
  return { config, policy };
}

/** The checkout's own .github/pipewarden.yml (the main pipeline: reviewed code). */
export async function loadRepositoryPolicy(path: string): Promise<ResolvedPolicy> {
  const text = await readText(path, '--config');
  return {
    config: parseRepoConfigText(text, path),
    policy: { origin: 'repository', file: POLICY_PATH, text },
  };
}

export const DEFAULT_POLICY: ResolvedPolicy = {
  config: DEFAULT_CONFIG,
  policy: { origin: 'default', text: '{}' },
};

/** A proposed config: its config, or why it is not one. A missing file is no proposal at all. */
export type ProposedPolicy =
  | { file: string; found: false }
  | { file: string; found: true; config: RepoConfig; text: string }
  | { file: string; found: true; error: string };

/**
 * Reads the proposed config. With `root` (the checkout), a path that resolves outside it through a symbolic
 * link is refused: the branch controls the checkout and must not make the gate read another file of the
 * build machine into the findings document.
 */
export async function loadProposedPolicy(path: string, file = path, root?: string): Promise<ProposedPolicy> {
  let text: string;
  try {
    const real = await realpath(path);
    if (root !== undefined) {
      const realRoot = await realpath(root);
      if (!real.startsWith(realRoot + sep))
        return {
          file,
          found: true,
          error: `${file}: resolves outside the repository (a symbolic link); the proposed policy must be a file of the repository`,
        };
    }
    if (!(await stat(real)).isFile())
      return {
        file,
        found: true,
        error: `${file}: not a regular file; the proposed policy must be a YAML file`,
      };
    text = await readFile(real, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { file, found: false };
    return { file, found: true, error: `${file}: cannot read it (${code ?? 'error'})` };
  }
  try {
    return { file, found: true, config: parseRepoConfigText(text, file), text };
  } catch (error) {
    if (error instanceof PipewardenError)
      return { file, found: true, error: error.message.replace(/^pipewarden: /, '') };
    throw error;
  }
}
