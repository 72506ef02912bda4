// Builds the AWS clients. The SDK's own configuration is honoured (spec behaviour 3):
// AWS_ENDPOINT_URL and its per-service variants, the default credential chain, and proxy variables.
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import type { Env } from './inputs.js';

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

// Bounded retries with the SDK's adaptive mode: throttling and 5xx back off and retry, and a
// service that keeps failing ends the run in seconds, not minutes.
export const MAX_ATTEMPTS = 6;

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

/** An HTTP handler that goes through HTTPS_PROXY / HTTP_PROXY unless NO_PROXY exempts the endpoint. */
export function requestHandler(service: string, region: string, env: Env): NodeHttpHandler {
  const options = { connectionTimeout: 5000, requestTimeout: 30000, httpsAgent: undefined as unknown, httpAgent: undefined as unknown };
  const url = endpointUrl(service, region, env);
  const noProxy = env.NO_PROXY ?? env.no_proxy ?? '';
  const proxy = url.protocol === 'https:' ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
  if (proxy && !matchesNoProxy(url.hostname.toLowerCase(), noProxy)) {
    if (url.protocol === 'https:') options.httpsAgent = new HttpsProxyAgent(proxy);
    else options.httpAgent = new HttpProxyAgent(proxy);
  }
  return new NodeHttpHandler({
    connectionTimeout: options.connectionTimeout,
    requestTimeout: options.requestTimeout,
    // Enough sockets for the bounded bucket reads to run in parallel.
    httpsAgent: (options.httpsAgent as HttpsProxyAgent<string>) ?? { maxSockets: 64, keepAlive: true },
    httpAgent: (options.httpAgent as HttpProxyAgent<string>) ?? { maxSockets: 64, keepAlive: true },
  });
}

export function createClients(region: string, credentials: AwsCredentials | undefined, env: Env = process.env): AwsClients {
  const common = (service: string) => ({
    region,
    credentials,
    maxAttempts: MAX_ATTEMPTS,
    retryMode: 'adaptive',
    requestHandler: requestHandler(service, region, env),
  });
  return {
    iam: new IAMClient(common('iam')),
    // Buckets in other regions answer with a redirect; follow it.
    s3: new S3Client({ ...common('s3'), followRegionRedirects: true }),
    kms: new KMSClient(common('kms')),
    sts: new STSClient(common('sts')),
  };
}
