import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ACTION_VERSION, proxyFor, userAgent } from '../src/aws.js';

const iam = new URL('https://iam.amazonaws.com');

describe('proxyFor', () => {
  it('uses HTTPS_PROXY for https endpoints and HTTP_PROXY for http ones, in either case', () => {
    expect(proxyFor(iam, { HTTPS_PROXY: 'http://proxy:3128', HTTP_PROXY: 'http://other:1' })).toBe('http://proxy:3128');
    expect(proxyFor(iam, { https_proxy: 'http://proxy:3128' })).toBe('http://proxy:3128');
    expect(proxyFor(new URL('http://127.0.0.1:5000'), { HTTP_PROXY: 'http://proxy:3128' })).toBe('http://proxy:3128');
    expect(proxyFor(iam, { HTTP_PROXY: 'http://proxy:3128' })).toBeUndefined();
  });

  it.each([['iam.amazonaws.com'], ['.amazonaws.com'], ['amazonaws.com'], ['*.amazonaws.com'], ['*'], ['example.com, amazonaws.com:443']])(
    'skips the proxy for NO_PROXY=%s',
    (noProxy) => {
      expect(proxyFor(iam, { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: noProxy })).toBeUndefined();
    },
  );

  it('keeps the proxy when NO_PROXY names other hosts only', () => {
    expect(proxyFor(iam, { HTTPS_PROXY: 'http://proxy:3128', no_proxy: 'example.com,myamazonaws.com' })).toBe('http://proxy:3128');
  });
});

describe('userAgent', () => {
  it('carries the version package.json declares', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    expect(ACTION_VERSION).toBe(pkg.version);
  });

  it.each([
    [{}, [['activeloop-role-action', ACTION_VERSION]]],
    [
      { GITHUB_REPOSITORY: 'octo/lake', GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '3' },
      [
        ['activeloop-role-action', ACTION_VERSION],
        ['md/repo', 'octo#lake'],
        ['md/run', '42#3'],
      ],
    ],
    [
      { GITHUB_RUN_ID: '42' },
      [
        ['activeloop-role-action', ACTION_VERSION],
        ['md/run', '42'],
      ],
    ],
  ])('%j', (env, pairs) => {
    expect(userAgent(env)).toEqual(pairs);
  });
});
