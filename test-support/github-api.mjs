// @ts-check
// A local stand-in for the GitHub REST API's issue comments, for the sticky PR comment tests.
// Point the action at it with GITHUB_API_URL. It pages like GitHub (per_page, page, Link header).
import { createServer } from 'node:http';

/**
 * @param {{ readOnly?: boolean }} [options] readOnly: writes answer 403, as for a fork's token.
 */
export async function startGitHubApi(options = {}) {
  const state = { readOnly: options.readOnly ?? false, nextId: 1000, requests: /** @type {string[]} */ ([]) };
  /** @type {Map<number, { id: number, body: string, user: { login: string } }[]>} */
  const comments = new Map();
  /** @param {number} issue */
  const list = (issue) => {
    if (!comments.has(issue)) comments.set(issue, []);
    return /** @type {{ id: number, body: string, user: { login: string } }[]} */ (comments.get(issue));
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      state.requests.push(`${req.method} ${url.pathname}${url.search}`);
      /** @param {number} status @param {unknown} payload @param {Record<string, string>} [headers] */
      const send = (status, payload, headers = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(payload));
      };
      if (!req.headers.authorization) return send(401, { message: 'Requires authentication' });
      const listMatch = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(url.pathname);
      const itemMatch = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(url.pathname);
      if (listMatch && req.method === 'GET') {
        const all = list(Number(listMatch[3]));
        const perPage = Number(url.searchParams.get('per_page') ?? 30);
        const page = Number(url.searchParams.get('page') ?? 1);
        const last = Math.max(1, Math.ceil(all.length / perPage));
        /** @type {Record<string, string>} */
        const headers = {};
        if (page < last) {
          const next = new URL(`http://${req.headers.host}${url.pathname}`);
          next.searchParams.set('per_page', String(perPage));
          next.searchParams.set('page', String(page + 1));
          headers.link = `<${next}>; rel="next"`;
        }
        return send(200, all.slice((page - 1) * perPage, page * perPage), headers);
      }
      if (listMatch && req.method === 'POST') {
        if (state.readOnly) return send(403, { message: 'Resource not accessible by integration' });
        const comment = { id: state.nextId++, body: JSON.parse(body).body, user: { login: 'github-actions[bot]' } };
        list(Number(listMatch[3])).push(comment);
        return send(201, comment);
      }
      if (itemMatch && req.method === 'PATCH') {
        if (state.readOnly) return send(403, { message: 'Resource not accessible by integration' });
        const id = Number(itemMatch[3]);
        for (const all of comments.values()) {
          const comment = all.find((c) => c.id === id);
          if (comment) {
            comment.body = JSON.parse(body).body;
            return send(200, comment);
          }
        }
        return send(404, { message: 'Not Found' });
      }
      return send(404, { message: 'Not Found' });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}`,
    state,
    /** Comments on an issue, in order. */
    /** @param {number} issue */
    comments: (issue) => list(issue),
    /** Adds someone else's comment. */
    /** @param {number} issue @param {string} text */
    seed: (issue, text) => list(issue).push({ id: state.nextId++, body: text, user: { login: 'a-reviewer' } }),
    stop: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}
