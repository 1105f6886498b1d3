import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { parse } from 'yaml';
import { PipewardenError, errorMessage } from '../../../findings/errors.js';

/**
 * What the platform (this deployment) brings to every security build, so that the code under review
 * controls neither: the buildspecs, inlined at synthesis from this repository's `buildspecs/`, and the
 * pipewarden CLI, a file asset of `dist/cli/index.js` whose sha256 is synthesized into each project and
 * checked before it runs (docs/security-model.md).
 */
export interface PlatformFiles {
  /** Directory of the platform buildspecs (this repository's `buildspecs/`). */
  readonly buildspecDirectory: string;
  /** The bundled CLI (`dist/cli/index.js`). */
  readonly cliFile: string;
}

/** Where each security build's install phase puts the pinned CLI (buildspecs/*.yml run `node "$PIPEWARDEN_CLI"`). */
export const CLI_INSTALL_PATH = '/opt/pipewarden/pipewarden.mjs';

/** A platform buildspec, read and parsed now and inlined in the project: never read from the source at run time. */
export function platformBuildspec(directory: string, file: string): codebuild.BuildSpec {
  const path = join(directory, file);
  let spec: unknown;
  try {
    spec = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new PipewardenError(
      `platform buildspec ${path}: ${errorMessage(error)}; it is inlined at synthesis, fix the file in buildspecs/`,
    );
  }
  if (!spec || typeof spec !== 'object' || String((spec as { version?: unknown }).version) !== '0.2') {
    throw new PipewardenError(
      `platform buildspec ${path} is not a buildspec (version: 0.2 missing); fix the file in buildspecs/`,
    );
  }
  return codebuild.BuildSpec.fromObjectToYaml(spec as Record<string, unknown>);
}

/** The pinned CLI of one stack: one S3 file asset, its sha256, and the variables a project needs to fetch it. */
export class PlatformCli extends Construct {
  readonly asset: s3assets.Asset;
  /** sha256 of the file, hex, computed at synthesis. */
  readonly sha256: string;

  constructor(scope: Construct, id: string, props: { readonly file: string }) {
    super(scope, id);
    if (!existsSync(props.file)) {
      throw new PipewardenError(
        `CLI bundle ${props.file} not found: run npm run bundle first (the security builds run this pinned copy)`,
      );
    }
    this.sha256 = createHash('sha256').update(readFileSync(props.file)).digest('hex');
    this.asset = new s3assets.Asset(this, 'Asset', { path: props.file });
  }

  /** The object's ARN: the only thing a project may read from the bootstrap bucket. */
  get objectArn(): string {
    return this.asset.bucket.arnForObjects(this.asset.s3ObjectKey);
  }

  /** PIPEWARDEN_CLI_URL, PIPEWARDEN_CLI_SHA256 and PIPEWARDEN_CLI, for the install phase's fetch and check. */
  environment(): Record<string, codebuild.BuildEnvironmentVariable> {
    return {
      PIPEWARDEN_CLI_URL: { value: this.asset.s3ObjectUrl },
      PIPEWARDEN_CLI_SHA256: { value: this.sha256 },
      PIPEWARDEN_CLI: { value: CLI_INSTALL_PATH },
    };
  }

  /** Exactly s3:GetObject on the asset object (no wildcard grant helper: CDK's grantRead is one). */
  grantFetch(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.objectArn] }),
    );
  }
}
