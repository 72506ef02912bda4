// Diffs the desired state against the live one into an ordered list of changes. Pure.
// Plan mode stops at this list; apply mode executes it, in this order (spec behaviour 6):
// permissions policies, then the role, then attachments, then removal of our own surplus policies.

import type { Change } from './changes.js';
import { kindOf } from './changes.js';
import { type DesiredState, policyDigest, roleDigest } from './desired.js';
import { ATTACHED_TAG_KEY, CORS_TAG_KEY, DIGEST_TAG_KEY, OWNER_TAG_KEY, OwnershipError, owned, tagKeyOn, tagValue } from './ownership.js';
import { documentFacts, equivalent, type PolicyDocument, policySize, statements } from './policy.js';
import { MAX_POLICY_VERSIONS, type QuotaUse } from './quotas.js';
import type { LivePolicy, LiveRole, LiveState } from './read.js';
import {
  attachmentHashes,
  drifted,
  type RecordState,
  readRecord,
  recordedAttached,
  recordOf,
  type Setting,
  shortHash,
  writeRecord,
} from './record.js';

/** What a plan holds: the changes in the order apply runs them, and what the role ends with. */
export interface ChangeSet {
  changes: Change[];
  warnings: string[];
  /** ARNs of the policies the action keeps on the role once the plan is applied. */
  policyArns: string[];
  roleArn: string;
}

/** Tags a resource lacks or has with another value; keys compare as IAM compares them, case-insensitively. */
function missingTags(want: Record<string, string>, have: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(want)) if (tagValue(have, k) !== v) out[k] = v;
  return out;
}

// IAM shows a trusted principal that was deleted by its unique ID (AROA… for a role, AIDA… for a user): the
// ARN no longer names it, and recreating the principal does not bring the ARN back. IAM User Guide, "IAM identifiers" (unique IDs).
const UNIQUE_ID = /^(AROA|AIDA)[A-Z0-9]{8,}$/;

/**
 * Why the trust policy changes when IAM shows a deleted principal by its unique ID; undefined when none is.
 * Any other difference (a principal, condition or action) is listed too, as a change outside the action when
 * `drifted`, else as a difference from the inputs.
 */
function deletedPrincipalReason(live: PolicyDocument, want: PolicyDocument, drifted: boolean): string | undefined {
  const had = documentFacts(live);
  const wants = documentFacts(want);
  const ids = had.principals.filter((p) => UNIQUE_ID.test(p));
  if (!ids.length) return undefined;
  const back = wants.principals.filter((p) => !had.principals.includes(p));
  const deleted = `a trusted principal was deleted: IAM shows it by its unique ID ${ids.join(', ')}`;
  const first = back.length
    ? `${deleted}. Apply puts the ARN ${back.join(', ')} back; IAM accepts it only once that principal exists again`
    : `${deleted}. Apply removes the ID`;
  const others = [
    ...had.principals
      .filter((p) => !ids.includes(p) && !wants.principals.includes(p))
      .map((p) => `it trusts ${p}, which the inputs do not name`),
    ...had.conditions.filter((c) => !wants.conditions.includes(c)).map((c) => `it has the condition ${c}, which the inputs do not`),
    ...wants.conditions.filter((c) => !had.conditions.includes(c)).map((c) => `it lacks the condition ${c}`),
    ...had.actions.filter((a) => !wants.actions.includes(a)).map((a) => `it allows ${a}, which the inputs do not`),
    ...wants.actions.filter((a) => !had.actions.includes(a)).map((a) => `it lacks the action ${a}`),
  ];
  if (!others.length) return first;
  return `${first}. The trust policy was also ${drifted ? 'changed outside this action' : 'otherwise different from the inputs'}: ${others.join('; ')}`;
}

function describeTags(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

function oldestNonDefault(policy: LivePolicy, count: number): string[] {
  return policy.versions
    .filter((v) => !v.isDefault)
    .sort((a, b) => a.created - b.created || a.id.localeCompare(b.id, undefined, { numeric: true }))
    .slice(0, count)
    .map((v) => v.id);
}

function planPolicies(desired: DesiredState, live: LiveState, adopt: boolean, roleOwned: boolean, state: RecordState): Change[] {
  const changes: Change[] = [];
  for (const want of desired.policies) {
    const have = live.policies.find((p) => p.name === want.name);
    const tags = { ...desired.policyTags, [DIGEST_TAG_KEY]: policyDigest(want.document) };
    if (!have) {
      changes.push({
        action: 'create-policy',
        resource: want.arn,
        name: want.name,
        path: desired.role.path,
        document: want.document,
        tags: { ...tags, [ATTACHED_TAG_KEY]: 'false' },
        reason: want.index === 0 ? 'the permissions policy does not exist' : `the grants need policy ${want.index + 1} (IAM's size quota)`,
        // The role is ours and its record says the policy was attached (records of earlier versions: the first
        // policy always was), so it was deleted.
        drift: roleOwned && (recordedAttached(state, want.arn) ?? want.index === 0),
      });
      continue;
    }
    if (!owned(have.tags) && !adopt) throw new OwnershipError('policy', have.arn, have.tags);
    const lastWritten = tagValue(have.tags, DIGEST_TAG_KEY);
    const driftedDoc = lastWritten !== undefined && lastWritten !== policyDigest(have.document);
    if (!equivalent(have.document, want.document, desired.identity.partition)) {
      const versions = have.versions.length;
      changes.push({
        action: 'update-policy',
        resource: have.arn,
        name: have.name,
        document: want.document,
        previous: have.document,
        addsGrants: addsGrants(have.document, want.document),
        pruneVersionIds: versions >= MAX_POLICY_VERSIONS ? oldestNonDefault(have, versions - MAX_POLICY_VERSIONS + 1) : [],
        tags: missingTags(tags, have.tags),
        reason: driftedDoc
          ? `the policy was changed outside this action (default version ${have.defaultVersionId})`
          : 'the bucket list or KMS keys changed',
        drift: driftedDoc,
      });
    } else {
      const retag = missingTags({ ...desired.policyTags, [DIGEST_TAG_KEY]: policyDigest(have.document) }, have.tags);
      if (Object.keys(retag).length) {
        const ownerMissing = OWNER_TAG_KEY in retag;
        changes.push({
          action: 'tag-policy',
          resource: have.arn,
          tags: retag,
          reason: !owned(have.tags) ? 'adopting a policy this action did not create' : `tags differ: ${describeTags(retag)}`,
          drift: ownerMissing && owned(have.tags),
        });
      }
    }
  }
  return changes;
}

/** A trust policy's condition values by operator and key (keys compare case-insensitively, as IAM compares them). */
function conditionValues(doc: PolicyDocument): Map<string, { label: string; values: Set<string> }> {
  const out = new Map<string, { label: string; values: Set<string> }>();
  for (const statement of statements(doc)) {
    for (const [operator, block] of Object.entries(statement.Condition ?? {})) {
      for (const [key, value] of Object.entries(block)) {
        const id = `${operator} ${key.toLowerCase()}`;
        const entry = out.get(id) ?? { label: `${operator} ${key}`, values: new Set<string>() };
        for (const v of Array.isArray(value) ? value : [value]) entry.values.add(String(v));
        out.set(id, entry);
      }
    }
  }
  return out;
}

/**
 * What a new trust policy allows that the old one did not: principals it adds, condition keys it drops, and
 * conditions that accept more values than before (a second external ID). A value replaced under the same
 * operator and key (an external ID rotated) lets no one more in, so it is not widening.
 */
export function trustWidening(before: PolicyDocument, after: PolicyDocument): string[] {
  const principals = (doc: PolicyDocument) => new Set(documentFacts(doc).principals);
  const had = principals(before);
  const keeps = conditionValues(after);
  const widening = [...principals(after)].filter((p) => !had.has(p)).map((p) => `adds the trusted principal ${p}`);
  for (const [id, { label, values }] of conditionValues(before)) {
    const now = keeps.get(id);
    if (!now) widening.push(`removes the condition ${label}`);
    else if (now.values.size > values.size)
      widening.push(`accepts ${now.values.size} values instead of ${values.size} for the condition ${label}`);
  }
  return widening;
}

/**
 * Whether a missing CORS rule on the listed buckets is drift: the role records that the action keeps the rule
 * (cors: true), on this same bucket list. A bucket just added to the list has never had the rule.
 */
export function corsKept(role: LiveRole | undefined, buckets: string[]): boolean {
  if (!role || tagValue(role.tags, CORS_TAG_KEY) !== 'true') return false;
  const state = readRecord(tagValue(role.tags, DIGEST_TAG_KEY));
  if (state.kind !== 'settings' || state.record.cors === undefined) return true;
  return state.record.cors === shortHash([...buckets].sort().join(','));
}

/**
 * The record the role gets with this plan: its settings as desired, a boundary left in place as it is, and
 * `attached` (hashes, see attachmentHashes) as the policies the action has attached by the time it is written.
 */
export function desiredRecord(desired: DesiredState, role: LiveRole | undefined, corsBuckets?: string[], attached?: string[]): string {
  const want = desired.role;
  return writeRecord(
    recordOf(
      { ...want, permissionsBoundary: want.permissionsBoundary ?? role?.permissionsBoundary },
      { tagKeys: Object.keys(desired.inputTags), partition: desired.identity.partition, corsBuckets, attached },
    ),
  );
}

function planRole(
  desired: DesiredState,
  role: LiveRole | undefined,
  adopt: boolean,
  policiesExisted: boolean,
  corsBuckets: string[] | undefined,
  attached: string[] | undefined,
): { changes: Change[]; warnings: string[] } {
  const want = desired.role;
  const record = desiredRecord(desired, role, corsBuckets, attached);
  const tagCount = Object.keys(desired.inputTags).length;
  // The record is one tag value of at most 256 characters: past that it keeps no per-tag hashes.
  const untracked =
    tagCount > 0 && !record.includes(' g.')
      ? [
          `With ${tagCount} input tags the action's record (one IAM tag value, 256 characters at most) cannot keep a hash of each: a tag edited outside the action is still put back, but not reported as drift.`,
        ]
      : [];
  if (!role) {
    return {
      changes: [
        {
          action: 'create-role',
          resource: want.arn,
          name: want.name,
          path: want.path,
          trustPolicy: want.trustPolicy,
          description: want.description,
          maxSessionDuration: want.maxSessionDuration,
          permissionsBoundary: want.permissionsBoundary,
          tags: { ...want.tags, [DIGEST_TAG_KEY]: record },
          // Our policies without the role: deleted by hand once a policy was attached, else a run stopped before creating it.
          reason: policiesExisted ? 'the role was deleted outside this action' : 'the role does not exist',
          drift: policiesExisted,
        },
      ],
      warnings: untracked,
    };
  }
  if (!owned(role.tags) && !adopt) throw new OwnershipError('role', role.arn, role.tags);
  const changes: Change[] = [];
  const warnings: string[] = [...untracked];
  const tagKeys = Object.keys(desired.inputTags);
  const state = readRecord(tagValue(role.tags, DIGEST_TAG_KEY));
  const live = recordOf(role, { tagKeys, partition: desired.identity.partition, corsBuckets });
  // A role with the single digest of earlier versions is judged as a whole, once; the run records it per setting.
  // A digest written under a key's old case (the inputs now spell it otherwise) still tells an input change.
  const wantKeys = Object.keys(want.tags);
  const liveSpelling = wantKeys.map((k) => tagKeyOn(role.tags, k) ?? k);
  const legacyDrift =
    state.kind === 'legacy' && state.digest !== roleDigest(role, wantKeys) && state.digest !== roleDigest(role, liveSpelling);
  const isDrift = (setting: Setting) => drifted(state, live, setting, legacyDrift);
  const why = (what: string, setting: Setting) =>
    isDrift(setting) ? `${what} was changed outside this action` : `${what} differs from the inputs`;

  // The boundary first: a delegated deployer (bootstrap/) may change the role's trust and settings only once it carries it.
  if (want.permissionsBoundary && role.permissionsBoundary !== want.permissionsBoundary) {
    changes.push({
      action: 'set-permissions-boundary',
      resource: role.arn,
      roleName: role.name,
      boundaryArn: want.permissionsBoundary,
      previous: role.permissionsBoundary,
      reason: why('the permissions boundary', 'boundary'),
      drift: isDrift('boundary'),
    });
  } else if (!want.permissionsBoundary && role.permissionsBoundary) {
    // Removing a boundary widens what the role may do; the action never does that on its own.
    warnings.push(
      `The role has the permissions boundary ${role.permissionsBoundary}, which is not in the inputs. It was left in place; set permissions-boundary to keep it explicitly.`,
    );
  }

  if (!equivalent(role.trustPolicy, want.trustPolicy, desired.identity.partition)) {
    changes.push({
      action: 'update-trust-policy',
      resource: role.arn,
      roleName: role.name,
      document: want.trustPolicy,
      previous: role.trustPolicy,
      widens: trustWidening(role.trustPolicy, want.trustPolicy),
      reason: deletedPrincipalReason(role.trustPolicy, want.trustPolicy, isDrift('trust')) ?? why('the trust policy', 'trust'),
      drift: isDrift('trust'),
    });
  }
  const sessionChanged = role.maxSessionDuration !== want.maxSessionDuration;
  const descriptionChanged = (role.description ?? '') !== want.description;
  if (descriptionChanged || sessionChanged) {
    changes.push({
      action: 'update-role',
      resource: role.arn,
      roleName: role.name,
      description: want.description,
      maxSessionDuration: want.maxSessionDuration,
      previous: { description: role.description, maxSessionDuration: role.maxSessionDuration },
      reason: [
        ...(descriptionChanged ? [why('the description', 'description')] : []),
        ...(sessionChanged ? [why('the maximum session duration', 'session')] : []),
      ].join('; '),
      drift: (sessionChanged && isDrift('session')) || (descriptionChanged && isDrift('description')),
    });
  }
  const tagChanges = missingTags(want.tags, role.tags);
  const userTagChanges = Object.keys(tagChanges).filter((k) => k !== OWNER_TAG_KEY);
  // The record is rewritten whenever it differs from what the role will hold: with the changes it covers, or
  // on its own after a hand edit the inputs then followed, or a write that stopped before the record.
  const tags = missingTags({ ...want.tags, [DIGEST_TAG_KEY]: record }, role.tags);
  if (Object.keys(tags).length) {
    const adopting = !owned(role.tags);
    const ownerRemoved = OWNER_TAG_KEY in tags && !adopting;
    const driftedTags = userTagChanges.filter((k) => isDrift(`tag:${k}`));
    const changedTags = describeTags(Object.fromEntries(userTagChanges.map((k) => [k, tags[k]])));
    changes.push({
      action: 'tag-role',
      resource: role.arn,
      roleName: role.name,
      tags,
      reason: adopting
        ? 'adopting a role this action did not create'
        : ownerRemoved
          ? `the ownership tag ${OWNER_TAG_KEY} was removed outside this action`
          : userTagChanges.length
            ? driftedTags.length
              ? `tags were changed outside this action (${describeTags(Object.fromEntries(driftedTags.map((k) => [k, tags[k]])))})`
              : `tags differ from the inputs (${changedTags})`
            : 'records what the action wrote, per setting, to tell later drift from input changes',
      drift: ownerRemoved || driftedTags.length > 0,
    });
  }
  return { changes, warnings };
}

/**
 * The changes that make live equal desired. Throws OwnershipError before listing anything
 * when a resource of the same name belongs to someone else.
 */
export function planChanges(desired: DesiredState, live: LiveState, options: { adopt: boolean; corsBuckets?: string[] }): ChangeSet {
  const role = live.role;
  const roleOwned = role !== undefined && owned(role.tags);
  const ourPolicies = live.policies.filter((p) => owned(p.tags));
  const state: RecordState = role ? readRecord(tagValue(role.tags, DIGEST_TAG_KEY)) : { kind: 'none' };
  const policyChanges = planPolicies(desired, live, options.adopt, roleOwned, state);
  const policyArns = desired.policies.map((want) => live.policies.find((p) => p.name === want.name)?.arn ?? want.arn);

  const attachments: Change[] = [];
  const roleName = role?.name ?? desired.role.name;
  for (const arn of policyArns) {
    if (role?.attachedPolicyArns.includes(arn)) continue;
    const have = live.policies.find((p) => p.arn === arn);
    // The record names the policies the action has attached; a record of an earlier version does not, so then any
    // of our policies missing from our role counts as detached.
    const detached = roleOwned && have !== undefined && (recordedAttached(state, arn) ?? owned(have.tags));
    attachments.push({
      action: 'attach-policy',
      resource: arn,
      roleName,
      reason: detached
        ? 'the policy was detached outside this action'
        : role
          ? 'the policy is not attached to the role yet'
          : 'the new role needs it',
      drift: detached,
    });
  }

  // The record says which policies are attached only once they are: the role phase keeps what it said so far (a new
  // role: none), and a tag write after the attachments records them. A run that stops between is then finished
  // by the next as an input change, not repaired as drift.
  const finalAttached = attachmentHashes(policyArns);
  const sofar = !role ? [] : state.kind === 'settings' ? state.record.attached : undefined;
  // A record of an earlier version, on a role with every policy attached, stays without them: no write just for that.
  const roleAttached = attachments.length || (role && sofar === undefined) ? sofar : finalAttached;
  const { changes: roleChanges, warnings } = planRole(
    desired,
    role,
    options.adopt,
    !role && ourPolicies.some((p) => tagValue(p.tags, ATTACHED_TAG_KEY) !== 'false'),
    options.corsBuckets,
    roleAttached,
  );
  // A policy tells it was attached (so that a role missing later was deleted, not never made): tagged after attaching.
  for (const arn of policyArns) {
    const have = live.policies.find((p) => p.arn === arn);
    if (have ? tagValue(have.tags, ATTACHED_TAG_KEY) !== 'false' : false) continue;
    if (!have && !policyChanges.some((c) => c.action === 'create-policy' && c.resource === arn)) continue;
    attachments.push({
      action: 'tag-policy',
      resource: arn,
      tags: { [ATTACHED_TAG_KEY]: 'true' },
      reason: 'records that the policy is attached',
      drift: false,
    });
  }
  const finalRecord = desiredRecord(desired, role, options.corsBuckets, finalAttached);
  if (attachments.length && finalRecord !== desiredRecord(desired, role, options.corsBuckets, roleAttached)) {
    attachments.push({
      action: 'tag-role',
      resource: role?.arn ?? desired.role.arn,
      roleName,
      tags: { [DIGEST_TAG_KEY]: finalRecord },
      reason: 'records that the policies are attached',
      drift: false,
      // Nothing was attached before: this run makes the role usable for the first time.
      completes: sofar !== undefined && sofar.length === 0,
    });
  }

  // Our own policies beyond what the grants need now (the bucket list shrank): detach, then delete.
  const wanted = new Set(desired.policies.map((p) => p.name));
  const removals: Change[] = [];
  const deletions: Change[] = [];
  for (const surplus of ourPolicies.filter((p) => !wanted.has(p.name))) {
    if (role?.attachedPolicyArns.includes(surplus.arn)) {
      removals.push({
        action: 'detach-policy',
        resource: surplus.arn,
        roleName,
        reason: 'the grants fit in fewer policies now',
        drift: false,
      });
    }
    deletions.push({
      action: 'delete-policy',
      resource: surplus.arn,
      name: surplus.name,
      versionIds: surplus.versions.filter((v) => !v.isDefault).map((v) => v.id),
      reason: 'no longer needed; created by this action',
      drift: false,
    });
  }

  return {
    // Policy writes that add grants go before those that only remove, so a grant moving between policies is never absent.
    // A role that gets a boundary (taken over from before the deployer template) gets it before any policy
    // write: a new policy version must never reach a role the boundary does not cap yet.
    changes: [...boundaryFirst(roleChanges, orderPolicyWrites(policyChanges)), ...attachments, ...removals, ...deletions],
    warnings,
    policyArns,
    roleArn: role?.arn ?? desired.role.arn,
  };
}

function grantKeys(doc: PolicyDocument): string[] {
  const facts = documentFacts(doc);
  return [...facts.buckets, ...facts.objectResources, ...facts.kmsKeys, ...facts.conditions];
}

/** Whether `after` grants a bucket, object resource, key or condition that `before` does not. */
function addsGrants(before: PolicyDocument, after: PolicyDocument): boolean {
  const had = new Set(grantKeys(before));
  return grantKeys(after).some((k) => !had.has(k));
}

function boundaryFirst(roleChanges: Change[], policyWrites: Change[]): Change[] {
  const boundary = roleChanges.filter((c) => c.action === 'set-permissions-boundary');
  return [...boundary, ...policyWrites, ...roleChanges.filter((c) => c.action !== 'set-permissions-boundary')];
}

function orderPolicyWrites(changes: Change[]): Change[] {
  const rank = (c: Change) => (kindOf(c).addsGrants(c) ? 0 : c.action === 'update-policy' ? 1 : 2);
  return [...changes].sort((a, b) => rank(a) - rank(b));
}

/** What the desired state would put on the role, for the account's quotas (checked before any write). */
export function quotaUse(desired: DesiredState, live: LiveState): QuotaUse {
  const foreignAttached = (live.role?.attachedPolicyArns ?? []).filter(
    (arn) => !live.policies.some((p) => p.arn === arn && owned(p.tags)),
  ).length;
  const sizes = desired.policies.map((p) => ({ name: p.name, chars: policySize(p.document) }));
  return {
    roleName: desired.role.name,
    trustPolicyChars: policySize(desired.role.trustPolicy),
    attachedPolicies: foreignAttached + desired.policies.length,
    foreignAttached,
    largestPolicy: sizes.sort((a, b) => b.chars - a.chars)[0],
  };
}
