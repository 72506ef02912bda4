// Principal and NotPrincipal in resource-based policies (IAM User Guide, "AWS JSON policy elements: Principal"
// and "NotPrincipal") for a request made by a session of an IAM role. Principal: "*" is everyone; an account
// ID or its root ARN is every principal of the account; a role ARN is every session of that role; an
// assumed-role session ARN is that one session; no wildcard inside an ARN. NotPrincipal with Deny spares a
// role session only when it names the session itself, and the docs ask for the role and the account too.
import { type RolePrincipal, sessionArn } from './context.js';
import { any, FALSE, type Outcome, TRUE, tri } from './tri.js';

export type PrincipalElement = '*' | Record<string, unknown>;

const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** The AWS principals a Principal element names ("*" for everyone). */
function awsPrincipals(element: PrincipalElement): string[] {
  return element === '*' ? ['*'] : asList(element.AWS);
}

/** Whether a Principal value names the principal's account (its ID or root ARN): a grant to the account, not to the principal. */
export const namesAccount = (p: RolePrincipal, v: string) => v === p.account || v === `arn:${p.partition}:iam::${p.account}:root`;

/** Whether a Principal value names a session of the principal's role (any session name). */
export const namesASession = (p: RolePrincipal, v: string) => v.startsWith(sessionArn(p, ''));

/** Whether one principal value names the session; unknown when it names a session of the role by a name not known. */
function namesSession(p: RolePrincipal, v: string): Outcome {
  const prefix = sessionArn(p, '');
  if (!namesASession(p, v)) return FALSE;
  if (p.sessionName !== undefined) return tri(v === sessionArn(p, p.sessionName));
  return {
    value: 'unknown',
    decider: { key: 'the role session name', operator: 'NotPrincipal', values: [v], failsWhen: v.slice(prefix.length) },
  };
}

function covers(p: RolePrincipal, v: string): Outcome {
  if (v === '*' || namesAccount(p, v) || v === p.roleArn) return TRUE;
  return namesSession(p, v);
}

/** The Principal element with only the AWS values `keep` accepts ("*" alone stays); its other keys as they are. */
export function narrowPrincipal(element: PrincipalElement, keep: (value: string) => boolean): PrincipalElement {
  if (element === '*') return element;
  return { ...element, AWS: asList(element.AWS).filter(keep) };
}

/** Whether a statement's Principal (or NotPrincipal) covers the role session; true when it has neither (identity policies). */
export function principalMatches(
  statement: { Principal?: PrincipalElement; NotPrincipal?: PrincipalElement },
  p: RolePrincipal | undefined,
): Outcome {
  if (statement.Principal !== undefined) {
    if (!p) return FALSE;
    return any(awsPrincipals(statement.Principal).map((v) => covers(p, v)));
  }
  if (statement.NotPrincipal !== undefined) {
    if (!p) return TRUE;
    const named = awsPrincipals(statement.NotPrincipal);
    if (named.includes('*')) return FALSE;
    const session = any(named.map((v) => namesSession(p, v)));
    if (session.value === false) return TRUE;
    // Named by its session: spared, if the role and the account are named as well (else AWS may deny them first).
    const roleAndAccount = named.includes(p.roleArn) && named.some((v) => namesAccount(p, v));
    if (!roleAndAccount) {
      const failsWhen = `also naming ${p.roleArn} and arn:${p.partition}:iam::${p.account}:root`;
      return { value: 'unknown', decider: { key: 'NotPrincipal', operator: 'NotPrincipal', values: named, failsWhen } };
    }
    return session.value === true ? FALSE : session;
  }
  return TRUE;
}
