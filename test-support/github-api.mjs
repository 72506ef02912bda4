// @ts-check
// A local stand-in for the GitHub REST API's issues and issue comments, for the sticky PR comment and the
// drift issue. Point the action at it with GITHUB_API_URL. It pages like GitHub (per_page, page, Link header),
// and writes as the workflow token does: as github-actions[bot], of type Bot, and answers GET /user with 403
// as GitHub does for that token. Started with a `user`, it acts as a personal access token of that user instead.
import { createServer } from 'node:http';

const BOT = { login: 'github-actions[bot]', type: 'Bot' };

/**
 * @typedef {{ id: number, body: string, user: { login: string, type: string } }} Comment
 * @typedef {{ id: number, number: number, title: string, body: string, state: string, state_reason?: string | null, user: { login: string, type: string }, pull_request?: object }} Issue
 */

/**
 * @param {{ readOnly?: boolean, issuesReadOnly?: boolean, user?: { login: string, type: string } }} [options] readOnly:
 * every write answers 403, as for a fork's token; issuesReadOnly: issue writes answer 403, as for a token without
 * `issues: write`; user: the token is that user's (GET /user answers it, and writes are by it).
 */
export async function startGitHubApi(options = {}) {
  const author = options.user ?? BOT;
  const state = {
    readOnly: options.readOnly ?? false,
    issuesReadOnly: options.issuesReadOnly ?? false,
    // A token without any issues permission: even listing issues answers 403.
    issuesUnreadable: false,
    nextId: 1000,
    nextNumber: 100,
    requests: /** @type {string[]} */ ([]),
  };
  /** @type {Map<number, Comment[]>} */
  const comments = new Map();
  /** @type {Issue[]} */
  const issues = [];
  /** @param {number} issue */
  const list = (issue) => {
    if (!comments.has(issue)) comments.set(issue, []);
    return /** @type {Comment[]} */ (comments.get(issue));
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
      /** @param {unknown[]} all */
      const page = (all) => {
        const perPage = Number(url.searchParams.get('per_page') ?? 30);
        const current = Number(url.searchParams.get('page') ?? 1);
        const last = Math.max(1, Math.ceil(all.length / perPage));
        /** @type {Record<string, string>} */
        const headers = {};
        if (current < last) {
          const next = new URL(`http://${req.headers.host}${url.pathname}`);
          for (const [k, v] of url.searchParams) next.searchParams.set(k, v);
          next.searchParams.set('per_page', String(perPage));
          next.searchParams.set('page', String(current + 1));
          headers.link = `<${next}>; rel="next"`;
        }
        return send(200, all.slice((current - 1) * perPage, current * perPage), headers);
      };
      const denied = () => send(403, { message: 'Resource not accessible by integration' });
      if (!req.headers.authorization) return send(401, { message: 'Requires authentication' });
      const input = body ? JSON.parse(body) : {};
      const listMatch = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(url.pathname);
      const itemMatch = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(url.pathname);
      const issuesMatch = /^\/repos\/([^/]+)\/([^/]+)\/issues$/.exec(url.pathname);
      const issueMatch = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)$/.exec(url.pathname);
      const isIssue = (/** @type {number} */ n) => issues.some((i) => i.number === n);
      // GitHub: "Resource not accessible by integration" for the workflow's GITHUB_TOKEN, which is no user.
      if (url.pathname === '/user' && req.method === 'GET') return options.user ? send(200, options.user) : denied();
      if (listMatch && req.method === 'GET') return page(list(Number(listMatch[3])));
      if (listMatch && req.method === 'POST') {
        const number = Number(listMatch[3]);
        if (state.readOnly || (state.issuesReadOnly && isIssue(number))) return denied();
        const comment = { id: state.nextId++, body: input.body, user: author };
        list(number).push(comment);
        return send(201, comment);
      }
      if (itemMatch && req.method === 'PATCH') {
        if (state.readOnly) return denied();
        const id = Number(itemMatch[3]);
        for (const all of comments.values()) {
          const comment = all.find((c) => c.id === id);
          if (comment) {
            comment.body = input.body;
            return send(200, comment);
          }
        }
        return send(404, { message: 'Not Found' });
      }
      if (issuesMatch && req.method === 'GET') {
        if (state.issuesUnreadable) return denied();
        const wanted = url.searchParams.get('state') ?? 'open';
        return page(issues.filter((i) => wanted === 'all' || i.state === wanted));
      }
      if (issuesMatch && req.method === 'POST') {
        if (state.readOnly || state.issuesReadOnly) return denied();
        const issue = { id: state.nextId++, number: state.nextNumber++, title: input.title, body: input.body, state: 'open', user: author };
        issues.push(issue);
        return send(201, issue);
      }
      if (issueMatch && req.method === 'PATCH') {
        if (state.readOnly || state.issuesReadOnly) return denied();
        const issue = issues.find((i) => i.number === Number(issueMatch[3]));
        if (!issue) return send(404, { message: 'Not Found' });
        for (const key of ['title', 'body', 'state', 'state_reason']) if (key in input) Object.assign(issue, { [key]: input[key] });
        return send(200, issue);
      }
      return send(404, { message: 'Not Found' });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}`,
    state,
    /** Comments on an issue or pull request, in order. */
    /** @param {number} issue */
    comments: (issue) => list(issue),
    /** Every issue, open and closed (pull requests are not kept here). */
    issues: () => issues,
    /** Adds a comment by someone else (a reviewer by default; another bot, or github-actions[bot] of an earlier run). */
    /** @param {number} issue @param {string} text @param {{ login: string, type: string }} [user] */
    seed: (issue, text, user = { login: 'a-reviewer', type: 'User' }) => {
      const comment = { id: state.nextId++, body: text, user };
      list(issue).push(comment);
      return comment;
    },
    /** Opens an issue by someone else (a reviewer by default). */
    /** @param {string} title @param {string} text @param {{ login: string, type: string }} [user] */
    seedIssue: (title, text, user = { login: 'a-reviewer', type: 'User' }) => {
      const issue = {
        id: state.nextId++,
        number: state.nextNumber++,
        title,
        body: text,
        state: 'open',
        user,
      };
      issues.push(issue);
      return issue;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}
