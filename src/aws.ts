// Builds the AWS clients. The SDK's own configuration is honoured (spec behaviour 3):
// AWS_ENDPOINT_URL and its per-service variants, the default credential chain, and proxy variables.
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { BoundedRetryStrategy, runRetryPolicy } from './retry.js';

/** The action's version, as in package.json (a unit test keeps them equal). */
export const ACTION_VERSION = '1.1.0';

/** The process environment, or a stand-in for it in tests. */
export type Env = Record<string, string | undefined>;

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsClients {
  iam: IAMClient;
  s3: S3Client;
  kms: KMSClient;
  sts: STSClient;
}

function matchesNoProxy(host: string, noProxy: string): boolean {
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => {
      if (entry === '*') return true;
      const bare = entry
        .replace(/^\*?\./, '')
        .replace(/:\d+$/, '')
        .toLowerCase();
      return host === bare || host.endsWith(`.${bare}`);
    });
}

/** The endpoint a service's client will call, for proxy decisions. */
function endpointUrl(service: string, region: string, env: Env): URL {
  const specific = env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] ?? env.AWS_ENDPOINT_URL;
  return new URL(specific || `https://${service}.${region}.amazonaws.com`);
}

/** The proxy URL for an endpoint: HTTPS_PROXY or HTTP_PROXY by scheme, unless NO_PROXY exempts the host. */
export function proxyFor(url: URL, env: Env): string | undefined {
  const proxy = url.protocol === 'https:' ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
  if (!proxy || matchesNoProxy(url.hostname.toLowerCase(), env.NO_PROXY ?? env.no_proxy ?? '')) return undefined;
  return proxy;
}

/** An HTTP handler for one service, through the proxy when one applies. */
export async function requestHandler(service: string, region: string, env: Env): Promise<NodeHttpHandler> {
  const url = endpointUrl(service, region, env);
  const proxy = proxyFor(url, env);
  // Enough sockets for the bounded bucket reads to run in parallel.
  const agent = { maxSockets: 64, keepAlive: true };
  // The proxy agents load only when a proxy is configured: most runs never need them.
  const httpsAgent = proxy && url.protocol === 'https:' ? new (await import('https-proxy-agent')).HttpsProxyAgent(proxy, agent) : agent;
  const httpAgent = proxy && url.protocol === 'http:' ? new (await import('http-proxy-agent')).HttpProxyAgent(proxy, agent) : agent;
  return new NodeHttpHandler({ connectionTimeout: 5000, requestTimeout: 30000, httpsAgent, httpAgent });
}

/**
 * The user agent every request carries (spec behaviour 11): the action and its version, the repository
 * and the run, so CloudTrail's userAgent field ties each IAM change to the workflow run that made it.
 * The SDK replaces characters a user agent may not hold with '-'; '/' in the repository becomes '#'.
 */
export function userAgent(env: Env): [string, string][] {
  const pairs: [string, string][] = [['activeloop-role-action', ACTION_VERSION]];
  if (env.GITHUB_REPOSITORY) pairs.push(['md/repo', env.GITHUB_REPOSITORY.replace('/', '#')]);
  if (env.GITHUB_RUN_ID) pairs.push(['md/run', `${env.GITHUB_RUN_ID}${env.GITHUB_RUN_ATTEMPT ? `#${env.GITHUB_RUN_ATTEMPT}` : ''}`]);
  return pairs;
}

export interface ClientOptions {
  env?: Env;
  /** When the run started: the retry budget counts from there. */
  startedAt?: number;
}

export async function createClients(
  region: string,
  credentials: AwsCredentials | undefined,
  { env = process.env, startedAt = Date.now() }: ClientOptions = {},
): Promise<AwsClients> {
  const retryStrategy = new BoundedRetryStrategy(runRetryPolicy(startedAt));
  const customUserAgent = userAgent(env);
  const common = async (service: string) => ({
    region,
    credentials,
    retryStrategy,
    customUserAgent,
    requestHandler: await requestHandler(service, region, env),
  });
  return {
    iam: new IAMClient(await common('iam')),
    // Buckets in other regions answer with a redirect; follow it.
    s3: new S3Client({ ...(await common('s3')), followRegionRedirects: true }),
    kms: new KMSClient(await common('kms')),
    sts: new STSClient(await common('sts')),
  };
}
