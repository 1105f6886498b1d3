import {
  BatchDeleteImageCommand,
  paginateListImages,
  type ECRClient,
  type ImageIdentifier,
} from '@aws-sdk/client-ecr';
import { branchImageTag, COMMIT_TAG } from './image-tag.js';

export interface ImageCleanup {
  tag: string;
  /** Images deleted with all their tags (the branch tag and commit shas only). */
  deletedImages: number;
  /** Images that also carry another tag (another branch's, a release): only the branch tag was removed. */
  untaggedOnly: number;
  /** `digest or tag: code reason`, for what ECR refused. */
  failures: string[];
}

const BATCH = 100; // BatchDeleteImage takes at most 100 image ids.

/**
 * Deletes a branch's images from ECR: every image tagged `branch-<branch>` (all pages of ListImages). An
 * image whose other tags are commit shas belongs to the branch alone and is deleted by digest; one that
 * another branch or a release also tags keeps them, and loses only this branch's tag.
 */
export async function deleteBranchImages(
  ecr: ECRClient,
  repositoryName: string,
  branch: string,
): Promise<ImageCleanup> {
  const tag = branchImageTag(branch);
  const tagsByDigest = new Map<string, string[]>();
  for await (const page of paginateListImages(
    { client: ecr, pageSize: 1000 },
    { repositoryName, filter: { tagStatus: 'TAGGED' } },
  )) {
    for (const id of page.imageIds ?? []) {
      if (!id.imageDigest || !id.imageTag) continue;
      const tags = tagsByDigest.get(id.imageDigest) ?? [];
      tags.push(id.imageTag);
      tagsByDigest.set(id.imageDigest, tags);
    }
  }
  const ids: ImageIdentifier[] = [];
  let deletedImages = 0;
  let untaggedOnly = 0;
  for (const [digest, tags] of tagsByDigest) {
    if (!tags.includes(tag)) continue;
    if (tags.every((t) => t === tag || COMMIT_TAG.test(t))) {
      ids.push({ imageDigest: digest });
      deletedImages++;
    } else {
      ids.push({ imageTag: tag });
      untaggedOnly++;
    }
  }
  const failures: string[] = [];
  for (let i = 0; i < ids.length; i += BATCH) {
    const result = await ecr.send(
      new BatchDeleteImageCommand({ repositoryName, imageIds: ids.slice(i, i + BATCH) }),
    );
    for (const f of result.failures ?? []) {
      // Already gone (a redelivery, or the lifecycle policy was faster): the goal is reached.
      if (f.failureCode === 'ImageNotFound' || f.failureCode === 'ImageTagDoesNotMatchDigest') continue;
      failures.push(
        `${f.imageId?.imageDigest ?? f.imageId?.imageTag ?? '?'}: ${f.failureCode ?? 'error'} ${f.failureReason ?? ''}`.trim(),
      );
    }
  }
  return { tag, deletedImages: deletedImages, untaggedOnly, failures };
}
