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

// S3 calls the proxy names by method and subresource, and the IAM action S3 authorizes each as
// (Amazon S3 "Actions, resources, and condition keys"; a CORS delete is authorized as s3:PutBucketCORS).
const S3_IAM_ACTIONS = {
  's3:GetBucketEncryption': 's3:GetEncryptionConfiguration',
  's3:GET location': 's3:GetBucketLocation',
  's3:GET cors': 's3:GetBucketCORS',
  's3:GET policy': 's3:GetBucketPolicy',
  's3:GET ownershipControls': 's3:GetBucketOwnershipControls',
  's3:GET requestPayment': 's3:GetBucketRequestPayment',
  's3:PUT cors': 's3:PutBucketCORS',
  's3:DELETE cors': 's3:PutBucketCORS',
};

/**
 * The IAM action a recorded call is authorized as (the operation itself, but for the S3 calls above).
 * @param {string} operation
 * @returns {string}
 */
export function iamActionOf(operation) {
  return S3_IAM_ACTIONS[/** @type {keyof typeof S3_IAM_ACTIONS} */ (operation)] ?? operation;
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
 * One AWS request as the proxy saw it.
 * @typedef {{
 *   operation: string, service: string, region: string, params: Record<string, string>,
 *   mutating: boolean, throttled: boolean, answeredBy?: string, at: number, userAgent: string, amzUserAgent: string,
 * }} Call
 */

/**
 * A rule by which the proxy answers for AWS where moto is kinder (test-support/aws-rules.mjs has them,
 * each naming the AWS documentation it follows). `respond` answers instead of moto; `rewrite` changes
 * moto's answer; `times` limits how often the rule fires.
 * @typedef {{
 *   name: string, docs: string, match: (call: Call) => boolean,
 *   respond?: (call: Call) => { status: number, type: string, body: string, headers?: Record<string, string> } | undefined,
 *   rewrite?: (call: Call, body: string) => string,
 *   times?: number,
 * }} Rule
 */

/** The request's parameters: the form body of IAM and STS, the JSON body of KMS, the bucket of S3 (and its expected owner). */
function paramsOf(
  /** @type {string} */ service,
  /** @type {string} */ url,
  /** @type {string} */ body,
  /** @type {Headers} */ headers = {},
) {
  if (service === 's3') {
    const bucket = new URL(url, 'http://x').pathname.split('/')[1] ?? '';
    const owner = headers['x-amz-expected-bucket-owner'];
    return { Bucket: decodeURIComponent(bucket), ...(owner ? { ExpectedBucketOwner: String(owner) } : {}) };
  }
  if (service === 'kms') {
    try {
      return Object.fromEntries(Object.entries(JSON.parse(body || '{}')).map(([k, v]) => [k, String(v)]));
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(body));
}

/**
 * Starts the proxy towards `target` (moto's endpoint). Options, changeable later through `proxy.options`:
 * `latencyMs` added before each request is forwarded; `throttle` the fraction of requests answered
 * with the service's throttling error instead; `seed` for that choice; `hold`, when set, is awaited before a
 * call is forwarded (a test lines concurrent runs up with it). `proxy.rules` holds realism rules.
 * As an HTTP proxy (HTTPS_PROXY), it records each CONNECT's host in `proxy.connects` and refuses it.
 * @param {string} target
 * @param {{ latencyMs?: number, throttle?: number, seed?: number, hold?: (call: Call) => Promise<void> | undefined }} [options]
 */
export async function startAwsProxy(target, options = {}) {
  /** @type {{ latencyMs: number, throttle: number, seed: number, hold?: (call: Call) => Promise<void> | undefined }} */
  const settings = { latencyMs: 0, throttle: 0, seed: 1, ...options };
  let next = random(settings.seed);
  /** @type {Call[]} */
  const calls = [];
  /** @type {Rule[]} */
  const rules = [];
  /** @type {string[]} */
  const connects = [];
  /** @type {Map<Rule, number>} */
  const fired = new Map();
  /** The first rule that matches and has not fired its `times` yet. @param {Call} call @param {'respond' | 'rewrite'} kind */
  const ruleFor = (call, kind) => rules.find((r) => r[kind] && (r.times === undefined || (fired.get(r) ?? 0) < r.times) && r.match(call));
  const server = createServer((req, res) => {
    // A client killed mid-request (a run's timeout) resets its socket; that is the client's story, not the proxy's.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const operation = operationOf(req.method ?? 'GET', req.url ?? '/', req.headers, text);
      const svc = operation.split(':')[0];
      const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '';
      /** @type {Call} */
      const call = {
        operation,
        service: svc,
        region,
        params: paramsOf(svc, req.url ?? '/', text, req.headers),
        mutating: isMutating(operation),
        throttled: false,
        at: Date.now(),
        userAgent: String(req.headers['user-agent'] ?? ''),
        amzUserAgent: String(req.headers['x-amz-user-agent'] ?? ''),
      };
      calls.push(call);
      if (settings.latencyMs) await new Promise((r) => setTimeout(r, settings.latencyMs));
      await settings.hold?.(call);
      if (settings.throttle > 0 && next() < settings.throttle) {
        call.throttled = true;
        const t = throttleResponse(operation);
        res.writeHead(t.status, { 'content-type': t.type, 'content-length': Buffer.byteLength(t.body) });
        res.end(t.body);
        return;
      }
      const responder = ruleFor(call, 'respond');
      const answer = responder?.respond?.(call);
      if (responder && answer) {
        fired.set(responder, (fired.get(responder) ?? 0) + 1);
        call.answeredBy = responder.name;
        res.writeHead(answer.status, { ...answer.headers, 'content-type': answer.type, 'content-length': Buffer.byteLength(answer.body) });
        res.end(answer.body);
        return;
      }
      const rewriter = ruleFor(call, 'rewrite');
      const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (up) => {
        if (!rewriter) {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          return;
        }
        /** @type {Buffer[]} */
        const parts = [];
        up.on('error', () => res.destroy());
        up.on('data', (c) => parts.push(c));
        up.on('end', () => {
          fired.set(rewriter, (fired.get(rewriter) ?? 0) + 1);
          call.answeredBy = rewriter.name;
          const out = rewriter.rewrite?.(call, Buffer.concat(parts).toString('utf8')) ?? '';
          const headers = { ...up.headers, 'content-length': String(Buffer.byteLength(out)) };
          delete headers['transfer-encoding'];
          res.writeHead(up.statusCode ?? 502, headers);
          res.end(out);
        });
      });
      upstream.on('error', (e) => {
        // Moto went away mid-answer: a half-sent answer can only be cut off; an unsent one is a 502.
        if (res.headersSent) res.destroy();
        else res.writeHead(502).end(String(e));
      });
      upstream.end(body);
    });
  });
  server.on('connect', (req, socket) => {
    connects.push(req.url ?? '');
    // Node hands a CONNECT's socket over without an error listener: a client that gives up resets it
    // (read ECONNRESET), which would otherwise be an uncaught exception in the test process.
    socket.on('error', () => undefined);
    socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    rules,
    connects,
    options: settings,
    /** Forget counted calls, realism rules and CONNECTs, and restart the fault pattern. */
    clear() {
      calls.length = 0;
      rules.length = 0;
      connects.length = 0;
      fired.clear();
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
