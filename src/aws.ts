// The AWS clients' shared settings and the STS client (aws-stage.ts builds the others). The SDK's own configuration is honoured (spec behaviour 3):
// AWS_ENDPOINT_URL and its per-service variants, the default credential chain, and proxy variables.
import type { IAMClient } from '@aws-sdk/client-iam';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
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
  /** KMS in the given region (a bucket's key lives in the bucket's region); one client per region. */
  kmsIn: (region: string) => KMSClient;
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

/** The proxy URL for an endpoint: HTTPS_PROXY or HTTP_PROXY by scheme, unless NO_PROXY exempts the host. */
export function proxyFor(url: URL, env: Env): string | undefined {
  const proxy = url.protocol === 'https:' ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
  if (!proxy || matchesNoProxy(url.hostname.toLowerCase(), env.NO_PROXY ?? env.no_proxy ?? '')) return undefined;
  return proxy;
}

/**
 * An HTTP handler whose agents decide per request, by the host the SDK really calls, whether to go through
 * HTTPS_PROXY or HTTP_PROXY or, when NO_PROXY names that host, straight: IAM's global endpoint
 * (iam.amazonaws.com, iam.us-gov.amazonaws.com), *.amazonaws.com.cn, or a bucket's regional S3 host after a
 * redirect are not the <service>.<region>.amazonaws.com a guess from the client's region would give.
 */
export async function requestHandler(env: Env, maxSockets = 64): Promise<NodeHttpHandler> {
  const options = { maxSockets, keepAlive: true };
  const httpsProxy = env.HTTPS_PROXY ?? env.https_proxy;
  const httpProxy = env.HTTP_PROXY ?? env.http_proxy;
  if (!httpsProxy && !httpProxy)
    return new NodeHttpHandler({ connectionTimeout: 5000, requestTimeout: 30000, httpsAgent: options, httpAgent: options });
  // The proxy agents load only when a proxy is configured: most runs never need them.
  const [{ Agent }, https, http] = await Promise.all([import('agent-base'), import('node:https'), import('node:http')]);
  const direct = { https: new https.Agent(options), http: new http.Agent(options) };
  const proxied = {
    https: httpsProxy ? new (await import('https-proxy-agent')).HttpsProxyAgent(httpsProxy, options) : direct.https,
    http: httpProxy ? new (await import('http-proxy-agent')).HttpProxyAgent(httpProxy, options) : direct.http,
  };
  class ByHost extends Agent {
    constructor(private readonly scheme: 'https' | 'http') {
      super(options);
    }
    connect(_req: unknown, target: { host?: string; port?: number }) {
      const url = new URL(`${this.scheme}://${target.host ?? ''}${target.port ? `:${target.port}` : ''}`);
      return proxyFor(url, env) ? proxied[this.scheme] : direct[this.scheme];
    }
  }
  return new NodeHttpHandler({
    connectionTimeout: 5000,
    requestTimeout: 30000,
    httpsAgent: new ByHost('https'),
    httpAgent: new ByHost('http'),
  });
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
  /** Whether the run reads KMS keys; without, the KMS client is never loaded. */
  kms?: boolean;
}

/** The settings every client shares: region, credentials, the run's retry budget and the user agent. */
export function commonConfig(
  region: string,
  credentials: AwsCredentials | undefined,
  { env = process.env, startedAt = Date.now() }: ClientOptions,
) {
  return { region, credentials, retryStrategy: new BoundedRetryStrategy(runRetryPolicy(startedAt)), customUserAgent: userAgent(env) };
}

/** The STS client alone: the sign-in and the caller identity go out before the other clients have loaded. */
export async function createStsClient(
  region: string,
  credentials: AwsCredentials | undefined,
  options: ClientOptions = {},
): Promise<STSClient> {
  return new STSClient({ ...commonConfig(region, credentials, options), requestHandler: await requestHandler(options.env ?? process.env) });
}
