/**
 * The production blue/green lifecycle hook (ECS stage POST_TEST_TRAFFIC_SHIFT): green serves the test
 * listener and no production traffic yet; these functions GET the service's health path and the configured
 * paths through the test listener and answer FAILED (ECS rolls the deployment back) when one answers
 * outside 200-399 or not at all, after every try. Two functions share this file (infra/lib/constructs/green-check.ts):
 *
 * - `hookHandler`, which ECS invokes: outside the VPC, it finds the load balancer's private addresses
 *   (EC2 DescribeNetworkInterfaces) and has `probeHandler` GET the URLs, then answers ECS;
 * - `probeHandler`, in the VPC with no AWS API access: it reaches the test listener at those private
 *   addresses through a security-group rule (the load balancer is internet-facing, so its DNS name resolves
 *   to public addresses that a VPC function without a public IP cannot reach).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { z } from 'zod';
import { describeIssues } from '../../findings/describe-zod-issues.js';

export interface UrlResult {
  readonly url: string;
  /** The last answer's status code, or undefined when none came (timeout, refused). */
  readonly status?: number;
  readonly error?: string;
  readonly ok: boolean;
}

export interface CheckOptions {
  /** Tries per URL. */
  readonly attempts: number;
  /** Pause between two tries of the URLs still failing. */
  readonly retryMs: number;
  /** Time one GET may take, connection included. */
  readonly timeoutMs: number;
}

/** 2xx passes, and so does 3xx: a redirect is the listener answering, and it is not followed off the test port. */
export const passes = (status: number | undefined): boolean =>
  status !== undefined && status >= 200 && status < 400;

/** One GET. HTTPS goes to a private address no certificate names, so the certificate is not checked here. */
export function getStatus(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(
      target,
      {
        method: 'GET',
        timeout: timeoutMs,
        rejectUnauthorized: false,
        headers: { 'user-agent': 'pipewarden-green-check' },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** GETs every URL until it passes or its tries run out; the URLs still failing are retried together. */
export async function checkUrls(urls: readonly string[], options: CheckOptions): Promise<UrlResult[]> {
  const results = new Map<string, UrlResult>(urls.map((url) => [url, { url, ok: false }]));
  let pending = [...urls];
  for (let attempt = 1; attempt <= options.attempts && pending.length > 0; attempt++) {
    if (attempt > 1) await new Promise((r) => setTimeout(r, options.retryMs));
    await Promise.all(
      pending.map(async (url) => {
        try {
          const status = await getStatus(url, options.timeoutMs);
          results.set(url, { url, status, ok: passes(status) });
        } catch (error) {
          results.set(url, { url, ok: false, error: error instanceof Error ? error.message : String(error) });
        }
      }),
    );
    pending = pending.filter((url) => !results.get(url)!.ok);
  }
  return urls.map((url) => results.get(url)!);
}

/** What ECS reads from a lifecycle hook: SUCCEEDED moves on, FAILED rolls the deployment back. */
export interface HookAnswer {
  readonly hookStatus: 'SUCCEEDED' | 'FAILED';
}

/** Every URL through every load-balancer address must pass; none checked (no address found) is a failure. */
export function decide(results: readonly UrlResult[]): HookAnswer {
  return { hookStatus: results.length > 0 && results.every((r) => r.ok) ? 'SUCCEEDED' : 'FAILED' };
}

/** The URLs to check: each path on each of the load balancer's addresses, on the test listener's port. */
export function testUrls(
  scheme: 'http' | 'https',
  addresses: readonly string[],
  port: number,
  paths: readonly string[],
): string[] {
  return addresses.flatMap((address) => paths.map((path) => `${scheme}://${address}:${port}${path}`));
}

const probeEvent = z.strictObject({
  urls: z.array(z.url()).min(1),
  attempts: z.number().int().min(1),
  retryMs: z.number().int().min(0),
  timeoutMs: z.number().int().min(1),
});
export type ProbeEvent = z.infer<typeof probeEvent>;

/** The in-VPC function: checks the URLs it is given and returns every result. */
export async function probeHandler(event: unknown): Promise<UrlResult[]> {
  const { urls, ...options } = probeEvent.parse(event);
  const results = await checkUrls(urls, options);
  for (const r of results)
    console.log(`pipewarden green check: ${r.url} ${r.ok ? 'OK' : 'FAILED'} (${r.status ?? r.error})`);
  return results;
}

/** The hook function's settings, from its environment (set by the construct from environments.production). */
const hookEnvironment = z.object({
  PIPEWARDEN_LOAD_BALANCER: z.string().regex(/^app\/[^/]+\/[0-9a-f]+$/),
  PIPEWARDEN_VPC_ID: z.string().startsWith('vpc-'),
  PIPEWARDEN_PROBE_FUNCTION: z.string().min(1),
  PIPEWARDEN_TEST_SCHEME: z.enum(['http', 'https']),
  PIPEWARDEN_TEST_PORT: z.coerce.number().int().min(1).max(65535),
  /** One path per line: the health path first. */
  PIPEWARDEN_PATHS: z.string().transform((s) => s.split('\n').filter(Boolean)),
  PIPEWARDEN_ATTEMPTS: z.coerce.number().int().min(1),
  PIPEWARDEN_RETRY_MS: z.coerce.number().int().min(0),
  PIPEWARDEN_TIMEOUT_MS: z.coerce.number().int().min(1),
});

/** The AWS calls the hook makes, passed in so its logic runs against fakes. */
export interface HookClients {
  /** Private addresses of the load balancer's network interfaces in the VPC. */
  readonly loadBalancerAddresses: (loadBalancer: string, vpcId: string) => Promise<string[]>;
  readonly probe: (functionName: string, event: ProbeEvent) => Promise<UrlResult[]>;
}

/** The hook's logic: any error (no address, the probe failing) is a FAILED answer, never a pass. */
export async function checkGreen(env: NodeJS.ProcessEnv, clients: HookClients): Promise<HookAnswer> {
  try {
    const settings = hookEnvironment.parse(env);
    const addresses = await clients.loadBalancerAddresses(
      settings.PIPEWARDEN_LOAD_BALANCER,
      settings.PIPEWARDEN_VPC_ID,
    );
    if (addresses.length === 0) {
      console.log(
        `pipewarden green check: no network interface of ${settings.PIPEWARDEN_LOAD_BALANCER} found`,
      );
      return decide([]);
    }
    const results = await clients.probe(settings.PIPEWARDEN_PROBE_FUNCTION, {
      urls: testUrls(
        settings.PIPEWARDEN_TEST_SCHEME,
        addresses,
        settings.PIPEWARDEN_TEST_PORT,
        settings.PIPEWARDEN_PATHS,
      ),
      attempts: settings.PIPEWARDEN_ATTEMPTS,
      retryMs: settings.PIPEWARDEN_RETRY_MS,
      timeoutMs: settings.PIPEWARDEN_TIMEOUT_MS,
    });
    for (const r of results)
      console.log(`pipewarden green check: ${r.url} ${r.ok ? 'OK' : 'FAILED'} (${r.status ?? r.error})`);
    return decide(results);
  } catch (error) {
    const message =
      error instanceof z.ZodError
        ? describeIssues(error.issues)
        : error instanceof Error
          ? error.message
          : String(error);
    console.log(`pipewarden green check: ${message}; rolling back`);
    return decide([]);
  }
}

// The SDK v3 clients ship with the Lambda Node.js runtime; named by variable so the bundle leaves them out.
const EC2_MODULE = '@aws-sdk/client-ec2';
const LAMBDA_MODULE = '@aws-sdk/client-lambda';

/** ECS's entry point (the event, with the service and revision, is only logged). */
export async function hookHandler(event: unknown): Promise<HookAnswer> {
  console.log(`pipewarden green check: ${JSON.stringify(event)}`);
  /* eslint-disable @typescript-eslint/no-explicit-any -- runtime-provided SDK, not a dependency of this package */
  const ec2: any = await import(EC2_MODULE);
  const lambda: any = await import(LAMBDA_MODULE);
  const ec2Client = new ec2.EC2Client({});
  const lambdaClient = new lambda.LambdaClient({});
  return checkGreen(process.env, {
    loadBalancerAddresses: async (loadBalancer, vpcId) => {
      const out = await ec2Client.send(
        new ec2.DescribeNetworkInterfacesCommand({
          Filters: [
            // An ALB's interfaces are described "ELB app/<name>/<id>" (its full name).
            { Name: 'description', Values: [`ELB ${loadBalancer}`] },
            { Name: 'vpc-id', Values: [vpcId] },
            { Name: 'status', Values: ['in-use'] },
          ],
        }),
      );
      return (out.NetworkInterfaces ?? []).map((n: any) => n.PrivateIpAddress).filter(Boolean);
    },
    probe: async (functionName, probeEvent) => {
      const out = await lambdaClient.send(
        new lambda.InvokeCommand({ FunctionName: functionName, Payload: JSON.stringify(probeEvent) }),
      );
      if (out.FunctionError)
        throw new Error(`the probe function failed: ${Buffer.from(out.Payload).toString()}`);
      return JSON.parse(Buffer.from(out.Payload).toString()) as UrlResult[];
    },
  });
  /* eslint-enable @typescript-eslint/no-explicit-any */
}
