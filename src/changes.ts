// The kinds of change a plan can hold. Each kind is defined once here: its fields, the phase it runs in,
// how the report shows it and the IAM actions apply needs for it. apply.ts holds each kind's write, in a
// table of the same shape; a kind missing from either table is a compile error.
import type { CORSRule } from '@aws-sdk/client-s3';
import type { PolicyDocument } from './policy.js';

interface Base {
  /** ARN of the resource changed (for attachments: the policy). */
  resource: string;
  reason: string;
  /** True when the live state differs from what this action last wrote (someone else changed it). */
  drift: boolean;
}

export type Change = Base &
  (
    | { action: 'create-policy'; name: string; path: string; document: PolicyDocument; tags: Record<string, string> }
    | {
        action: 'update-policy';
        name: string;
        document: PolicyDocument;
        previous: PolicyDocument;
        /** Non-default versions deleted first, to stay under IAM's five versions. */
        pruneVersionIds: string[];
        tags: Record<string, string>;
        /** The new document grants something the old one did not: it is written before writes that only remove. */
        addsGrants: boolean;
      }
    | { action: 'tag-policy'; tags: Record<string, string> }
    | {
        action: 'create-role';
        name: string;
        path: string;
        trustPolicy: PolicyDocument;
        description: string;
        maxSessionDuration: number;
        permissionsBoundary?: string;
        tags: Record<string, string>;
      }
    | {
        action: 'update-trust-policy';
        roleName: string;
        document: PolicyDocument;
        previous: PolicyDocument;
        /** What the new trust policy allows that the old one did not (an added principal, a dropped condition). */
        widens: string[];
      }
    | {
        action: 'update-role';
        roleName: string;
        description: string;
        maxSessionDuration: number;
        previous: { description?: string; maxSessionDuration: number };
      }
    | { action: 'set-permissions-boundary'; roleName: string; boundaryArn: string; previous?: string }
    | {
        action: 'tag-role';
        roleName: string;
        tags: Record<string, string>;
        /** The write after a role's first attachments: the role is usable from then on, so Activeloop can be given it. */
        completes?: boolean;
      }
    | { action: 'attach-policy'; roleName: string }
    | { action: 'detach-policy'; roleName: string }
    | { action: 'delete-policy'; name: string; versionIds: string[] }
    | {
        action: 'remove-cors-rule';
        bucket: string;
        /** The bucket's other rules, kept exactly as they are (none: the configuration is deleted). */
        keep: CORSRule[];
      }
    | { action: 'delete-role'; roleName: string }
    | {
        action: 'put-cors-rule';
        bucket: string;
        /** The whole configuration to write: the bucket's other rules as they are, and the action's rule. */
        rules: CORSRule[];
        /** The action's rule as it was, when someone edited it. */
        previous?: CORSRule;
      }
  );

export type ChangeAction = Change['action'];
export type ChangeOf<K extends ChangeAction> = Extract<Change, { action: K }>;

/** A document the report shows for a change, with the one it replaces. */
export interface ShownDocument {
  title: string;
  before?: PolicyDocument;
  after: PolicyDocument;
}

export interface ChangeKind<C extends Change> {
  /**
   * Changes of one phase that follow each other in the plan run at once; `serial` phases one change at a time
   * (changes to one role: IAM answers ConcurrentModification to parallel writes).
   */
  phase: (change: C) => string;
  serial: boolean;
  /** Whether the change grants something new: such writes go before those that only remove. */
  addsGrants: (change: C) => boolean;
  icon: string;
  /** The document the report shows as a diff, if any. */
  document?: (change: C) => ShownDocument;
  /** The IAM actions it needs, checked against the permission document of the mode that makes it. */
  permissions: string[];
  /** The modes that make it: their permission documents (policies/<mode>-permissions.json) must allow it. */
  modes: ('apply' | 'destroy')[];
}

const never = () => false;
const name = (text: string) => `\`${text}\``;

export const CHANGE_KINDS: { [K in ChangeAction]: ChangeKind<ChangeOf<K>> } = {
  'create-policy': {
    phase: () => 'policies-adding',
    serial: false,
    addsGrants: () => true,
    icon: '➕',
    document: (c) => ({ title: `New policy ${name(c.name)}`, after: c.document }),
    permissions: ['iam:CreatePolicy', 'iam:TagPolicy'],
    modes: ['apply'],
  },
  'update-policy': {
    phase: (c) => (c.addsGrants ? 'policies-adding' : 'policies'),
    serial: false,
    addsGrants: (c) => c.addsGrants,
    icon: '✏️',
    document: (c) => ({ title: `Policy ${name(c.name)}`, before: c.previous, after: c.document }),
    permissions: ['iam:CreatePolicyVersion', 'iam:DeletePolicyVersion', 'iam:TagPolicy'],
    modes: ['apply'],
  },
  'tag-policy': { phase: () => 'policies', serial: false, addsGrants: never, icon: '🏷️', permissions: ['iam:TagPolicy'], modes: ['apply'] },
  'create-role': {
    phase: () => 'role',
    serial: true,
    addsGrants: never,
    icon: '➕',
    document: (c) => ({ title: `Trust policy of the new role ${name(c.name)}`, after: c.trustPolicy }),
    permissions: ['iam:CreateRole', 'iam:TagRole', 'iam:GetRole', 'iam:PutRolePermissionsBoundary'],
    modes: ['apply'],
  },
  'update-trust-policy': {
    phase: () => 'role',
    serial: true,
    addsGrants: never,
    icon: '✏️',
    document: (c) => ({ title: `Trust policy of ${name(c.roleName)}`, before: c.previous, after: c.document }),
    permissions: ['iam:UpdateAssumeRolePolicy'],
    modes: ['apply'],
  },
  'update-role': { phase: () => 'role', serial: true, addsGrants: never, icon: '✏️', permissions: ['iam:UpdateRole'], modes: ['apply'] },
  'set-permissions-boundary': {
    phase: () => 'role',
    serial: true,
    addsGrants: never,
    icon: '✏️',
    permissions: ['iam:PutRolePermissionsBoundary'],
    modes: ['apply'],
  },
  'tag-role': { phase: () => 'role', serial: true, addsGrants: never, icon: '🏷️', permissions: ['iam:TagRole'], modes: ['apply'] },
  'attach-policy': {
    phase: () => 'attach',
    serial: false,
    addsGrants: never,
    icon: '🔗',
    permissions: ['iam:AttachRolePolicy'],
    modes: ['apply'],
  },
  // Detaching and deleting the action's own policies: apply when the grants shrink, destroy always.
  'detach-policy': {
    phase: () => 'detach',
    serial: false,
    addsGrants: never,
    icon: '✂️',
    permissions: ['iam:DetachRolePolicy'],
    modes: ['apply', 'destroy'],
  },
  'delete-policy': {
    phase: () => 'delete-policies',
    serial: false,
    addsGrants: never,
    icon: '🗑️',
    permissions: ['iam:DeletePolicy', 'iam:DeletePolicyVersion'],
    modes: ['apply', 'destroy'],
  },
  'remove-cors-rule': {
    phase: () => 'cors',
    serial: false,
    addsGrants: never,
    icon: '✂️',
    permissions: ['s3:GetBucketCORS', 's3:PutBucketCORS'],
    modes: ['destroy'],
  },
  'put-cors-rule': {
    phase: () => 'cors',
    serial: false,
    addsGrants: never,
    icon: '🌐',
    permissions: ['s3:GetBucketCORS', 's3:PutBucketCORS'],
    modes: ['apply'],
  },
  // Last: IAM refuses it while policies are attached, and Activeloop has lost access by then.
  'delete-role': { phase: () => 'role', serial: true, addsGrants: never, icon: '🗑️', permissions: ['iam:DeleteRole'], modes: ['destroy'] },
};

/** The definition of a change's kind, typed for that change. */
export function kindOf<C extends Change>(change: C): ChangeKind<C> {
  return CHANGE_KINDS[change.action] as unknown as ChangeKind<C>;
}

/** The key of the group a change runs in; serial kinds get a key of their own per change. */
export function phaseOf(change: Change, position: number): string {
  const kind = kindOf(change);
  return kind.serial ? `${kind.phase(change)}#${position}` : kind.phase(change);
}
