import { createHash } from 'node:crypto';
import { BRANCH_IMAGE_TAG_PREFIX } from '../../pipeline/contracts.js';

/** ECR's tag grammar: 1–128 of [A-Za-z0-9_.-], not starting with `.` or `-`. */
export const ECR_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const MAX_TAG = 128;

/**
 * The ECR tag of a branch's latest image: `branch-` then the branch name with every byte of its UTF-8 form
 * outside [A-Za-z0-9_.-] replaced by `-` (so `feature/ü` → `branch-feature---`). A tag longer than 128
 * characters keeps its first 119 and ends in `-` and the first 8 hex digits of the SHA-256 of the branch
 * name, so that long names stay apart. Byte-wise on purpose: it is exactly what this shell line does,
 * which is how the image buildspec computes it (docs/bot.md):
 *
 *   tag="branch-$(printf '%s' "$BRANCH" | LC_ALL=C tr -c 'A-Za-z0-9_.-' '-')"
 *   [ ${#tag} -gt 128 ] && tag="${tag:0:119}-$(printf '%s' "$BRANCH" | sha256sum | cut -c1-8)"
 */
export function branchImageTag(branch: string): string {
  const bytes = Buffer.from(branch, 'utf8');
  let safe = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    safe += /[A-Za-z0-9_.-]/.test(c) ? c : '-';
  }
  const tag = `${BRANCH_IMAGE_TAG_PREFIX}${safe}`;
  if (tag.length <= MAX_TAG) return tag;
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 8);
  return `${tag.slice(0, MAX_TAG - 9)}-${hash}`;
}

/** A full commit sha: the other tag every image carries. */
export const COMMIT_TAG = /^[0-9a-f]{40}$/;
