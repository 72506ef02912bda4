// @ts-check
// A small HTTP proxy in front of moto: names and counts every AWS call, adds a fixed latency per
// request, and injects throttling. Used by end-to-end tests and `npm run bench`.
import { createServer, request } from 'node:http';

/** @typedef {import('node:http').IncomingHttpHeaders} Headers */

/** @param {Headers} headers */
function service(headers) {
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(headers.authorization ?? '');
  if (scope) return scope[1];
  if (String(headers['x-amz-target'] ?? '').startsWith('TrentService.')) return 'kms';
  return 'sts';
}

/**
 * The API operation a request is, e.g. `iam:CreateRole`, `kms:DescribeKey`, `s3:GetBucketEncryption`.
 * @param {string} method @param {string} url @param {Headers} headers @param {string} body
 */
export function operationOf(method, url, headers, body) {
  const svc = service(headers);
  const target = headers['x-amz-target'];
  if (target) return `${svc}:${String(target).split('.').pop()}`;
  if (svc === 's3') {
    const query = new URL(url, 'http://x').searchParams;
    if (query.has('encryption'))
      return `s3:${method === 'GET' ? 'GetBucketEncryption' : method === 'PUT' ? 'PutBucketEncryption' : 'DeleteBucketEncryption'}`;
    return `s3:${method} ${[...query.keys()].join('&') || 'object'}`;
  }
  const action = new URLSearchParams(body).get('Action');
  return `${svc}:${action ?? method}`;
}

/** @param {string} operation */
export function isMutating(operation) {
  const [svc, op] = operation.split(':');
  if (svc === 's3') return !/^(GetBucketEncryption|GET|HEAD)/.test(op);
  if (svc === 'sts') return false;
  return !/^(Get|List|Describe|Simulate|Generate)/.test(op);
}

/** @param {string} operation */
function throttleResponse(operation) {
  const svc = operation.split(':')[0];
  if (svc === 'kms')
    return {
      status: 400,
      type: 'application/x-amz-json-1.1',
      body: JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }),
    };
  if (svc === 's3')
    return {
      status: 503,
      type: 'application/xml',
      body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
    };
  return {
    status: 400,
    type: 'text/xml',
    body: '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>',
  };
}

// A seeded generator, so an injected fault pattern is the same on every run.
/** @param {number} seed */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Starts the proxy towards `target` (moto's endpoint). Options, changeable later through `proxy.options`:
 * `latencyMs` added before each request is forwarded; `throttle` the fraction of requests answered
 * with the service's throttling error instead; `seed` for that choice.
 * @param {string} target
 * @param {{ latencyMs?: number, throttle?: number, seed?: number }} [options]
 */
export async function startAwsProxy(target, options = {}) {
  const settings = { latencyMs: 0, throttle: 0, seed: 1, ...options };
  let next = random(settings.seed);
  /** @type {{ operation: string, mutating: boolean, throttled: boolean, at: number, userAgent: string, amzUserAgent: string }[]} */
  const calls = [];
  const server = createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const operation = operationOf(req.method ?? 'GET', req.url ?? '/', req.headers, body.toString('utf8'));
      const call = {
        operation,
        mutating: isMutating(operation),
        throttled: false,
        at: Date.now(),
        userAgent: String(req.headers['user-agent'] ?? ''),
        amzUserAgent: String(req.headers['x-amz-user-agent'] ?? ''),
      };
      calls.push(call);
      if (settings.latencyMs) await new Promise((r) => setTimeout(r, settings.latencyMs));
      if (settings.throttle > 0 && next() < settings.throttle) {
        call.throttled = true;
        const t = throttleResponse(operation);
        res.writeHead(t.status, { 'content-type': t.type, 'content-length': Buffer.byteLength(t.body) });
        res.end(t.body);
        return;
      }
      const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', (e) => {
        res.writeHead(502);
        res.end(String(e));
      });
      upstream.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    options: settings,
    /** Forget counted calls and restart the fault pattern. */
    clear() {
      calls.length = 0;
      next = random(settings.seed);
    },
    mutating: () => calls.filter((c) => c.mutating && !c.throttled).map((c) => c.operation),
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve(undefined));
      }),
  };
}
