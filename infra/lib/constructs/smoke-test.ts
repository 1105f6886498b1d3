import type { Duration } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BuildProject } from './build-project.js';
import { assumeEnvironmentRole } from './deployed-image.js';
import { markDeployer } from '../accounts.js';

export interface SmokeTestProps {
  readonly projectName: string;
  /** The environment's URL, scheme and host (the staging load balancer), no trailing slash. */
  readonly baseUrl: string;
  /**
   * For an environment in another account: the baseUrl is instead read at run time from this SSM parameter there,
   * through that environment's role (the load balancer cannot be referenced across accounts).
   */
  readonly baseUrlFrom?: {
    readonly parameterName: string;
    readonly roleArn: string;
    /** The environment's region when it is not this stack's: the parameter lives there. */
    readonly region?: string;
  };
  /** The service's health check path: always checked first. */
  readonly healthCheckPath: string;
  /** More paths to GET (environments.staging.smokeTest.paths). */
  readonly paths: readonly string[];
  /** Tries per URL, 10 seconds apart. */
  readonly attempts: number;
  readonly key: kms.IKey;
  readonly artifactBucket: s3.IBucket;
  readonly cacheBucket: s3.IBucket;
  readonly logRetention: logs.RetentionDays;
  readonly timeout: Duration;
}

/** Seconds between two tries of one URL. */
export const SMOKE_TEST_RETRY_SECONDS = 10;

/**
 * The staging URL read from the environment account's parameter, as bash `=~` matches it: the service stack writes
 * `http(s)://<load balancer DNS name>` (service-stack.ts UrlParameter), nothing more.
 */
export const SMOKE_TEST_URL_PATTERN = '^https?://[A-Za-z0-9.-]+$';

/**
 * The automated check of an environment after its deployment: GETs the health path and each configured path
 * on the environment's URL, and fails (failing the stage, so the run never reaches the approval) when one
 * answers outside 200-299 (after following up to 3 redirects, such as HTTP to HTTPS) after every try. The buildspec is the platform's, inline: the source artifact the
 * action is given is never executed, and the project holds no right beyond its logs and the artifact bucket.
 *
 * The application pipeline runs it as the second action of the Staging stage, after Deploy (runOrder 2).
 */
export class SmokeTest extends Construct {
  readonly project: codebuild.PipelineProject;

  constructor(scope: Construct, id: string, props: SmokeTestProps) {
    super(scope, id);
    const from = props.baseUrlFrom;
    const paths = [props.healthCheckPath, ...props.paths];
    const urls = from ? paths : paths.map((p) => `${props.baseUrl}${p}`);
    const built = new BuildProject(this, 'Build', {
      projectName: props.projectName,
      description: `smoke test of ${from ? `the URL in ${from.parameterName}` : props.baseUrl} after each deployment, before the approval`,
      buildSpec: smokeTestBuildspec(from !== undefined, from?.region !== undefined),
      key: props.key,
      artifactBucket: props.artifactBucket,
      cacheBucket: props.cacheBucket,
      logRetention: props.logRetention,
      computeType: codebuild.ComputeType.SMALL,
      timeout: props.timeout,
      environmentVariables: {
        // One URL per line: paths are validated by the config schema (no whitespace).
        PIPEWARDEN_SMOKE_URLS: { value: urls.join('\n') },
        PIPEWARDEN_SMOKE_ATTEMPTS: { value: String(props.attempts) },
        ...(from
          ? {
              PIPEWARDEN_ENVIRONMENT_ROLE: { value: from.roleArn },
              PIPEWARDEN_SMOKE_URL_PARAMETER: { value: from.parameterName },
              ...(from.region ? { PIPEWARDEN_ENVIRONMENT_REGION: { value: from.region } } : {}),
            }
          : {}),
      },
    });
    if (from) {
      markDeployer(built.role, 'smoke-test');
      built.role.addToPolicy(
        new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [from.roleArn] }),
      );
    }
    this.project = built.project;
  }
}

/** The inline buildspec: curl each URL (following redirects) until it answers 2xx or the tries run out; any failure fails the build. */
export function smokeTestBuildspec(urlFromParameter = false, inRegion = false): codebuild.BuildSpec {
  return codebuild.BuildSpec.fromObject({
    version: '0.2',
    env: { shell: 'bash' },
    phases: {
      build: {
        commands: [
          // The paths, prefixed with the URL the environment's stack wrote in its own account.
          ...(urlFromParameter
            ? [
                [
                  assumeEnvironmentRole(inRegion),
                  'base=$(aws ssm get-parameter --name "$PIPEWARDEN_SMOKE_URL_PARAMETER" --query Parameter.Value --output text) ||',
                  '  { echo "pipewarden smoke test: cannot read $PIPEWARDEN_SMOKE_URL_PARAMETER through $PIPEWARDEN_ENVIRONMENT_ROLE: deploy the staging service stack first"; exit 1; }',
                  // Written by another account: only the form the service stack writes (scheme://load balancer
                  // name) is used, and never as code (no sed, no eval).
                  `[[ $base =~ ${SMOKE_TEST_URL_PATTERN} ]] ||`,
                  '  { echo "pipewarden smoke test: $PIPEWARDEN_SMOKE_URL_PARAMETER is not a URL such as https://name.region.elb.amazonaws.com: ${base@Q}; redeploy the staging service stack, which writes it"; exit 1; }',
                  'PIPEWARDEN_SMOKE_URLS=$(while IFS= read -r p; do printf \'%s%s\\n\' "$base" "$p"; done <<< "$PIPEWARDEN_SMOKE_URLS")',
                ].join('\n'),
              ]
            : []),
          [
            'failed=0',
            'while IFS= read -r url; do',
            '  [ -n "$url" ] || continue',
            '  ok=0',
            '  for try in $(seq 1 "$PIPEWARDEN_SMOKE_ATTEMPTS"); do',
            '    code=$(curl -sS -L --max-redirs 3 -o /dev/null -w "%{http_code}" --max-time 10 "$url") || true',
            '    if [ "$code" -ge 200 ] && [ "$code" -lt 300 ]; then ok=1; break; fi',
            `    echo "pipewarden smoke test: $url answered $code (try $try of $PIPEWARDEN_SMOKE_ATTEMPTS)"`,
            `    [ "$try" -lt "$PIPEWARDEN_SMOKE_ATTEMPTS" ] && sleep ${SMOKE_TEST_RETRY_SECONDS}`,
            '  done',
            '  if [ "$ok" = 1 ]; then echo "pipewarden smoke test: $url OK ($code)"; else',
            '    echo "pipewarden smoke test: $url failed ($code): the deployment is not approved; see the service logs"; failed=1; fi',
            'done <<< "$PIPEWARDEN_SMOKE_URLS"',
            '[ "$failed" = 0 ]',
          ].join('\n'),
        ],
      },
    },
  });
}
