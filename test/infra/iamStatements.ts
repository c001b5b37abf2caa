import type { CfnResource } from './synthStack.js';

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, unknown>;
}

export function actionsOf(s: Statement): string[] {
  return Array.isArray(s.Action) ? s.Action : [s.Action];
}

export function resourcesOf(s: Statement): unknown[] {
  return Array.isArray(s.Resource) ? s.Resource : [s.Resource];
}

/** Every statement of every AWS::IAM::Policy, with the logical ids of the roles it is attached to. */
export function policyStatements(
  resources: Record<string, CfnResource>,
): { roles: string[]; statement: Statement }[] {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .flatMap((r) => {
      const props = r.Properties as { PolicyDocument: { Statement: Statement[] }; Roles: { Ref: string }[] };
      const roles = props.Roles.map((role) => role.Ref);
      return props.PolicyDocument.Statement.map((statement) => ({ roles, statement }));
    });
}

/** Statements granted to one role (by logical id). */
export function statementsOfRole(resources: Record<string, CfnResource>, roleId: string): Statement[] {
  return policyStatements(resources)
    .filter((p) => p.roles.includes(roleId))
    .map((p) => p.statement);
}

/** The sorted, de-duplicated actions granted to one role. */
export function actionSetOfRole(resources: Record<string, CfnResource>, roleId: string): string[] {
  return [...new Set(statementsOfRole(resources, roleId).flatMap(actionsOf))].sort();
}

/** Logical id of the execution role of the function with this name. */
export function roleOfFunction(resources: Record<string, CfnResource>, functionName: string): string {
  const fn = Object.values(resources).find(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.['FunctionName'] === functionName,
  );
  if (!fn) throw new Error(`no function named ${functionName}`);
  const role = fn.Properties?.['Role'] as { 'Fn::GetAtt': [string, string] };
  return role['Fn::GetAtt'][0];
}

/**
 * The object-key pattern of an S3 object ARN in the template (`warehouse/*\/metadata/*`), or
 * undefined for anything else (a bucket ARN, a queue, a key). Handles both shapes CDK writes:
 * `{Fn::Join: [bucket.Arn, '/warehouse/…']}` for a created bucket and the literal
 * `arn:…:s3:::my-lake/lake/…` for an imported one.
 */
export function objectKeyPattern(resource: unknown): string | undefined {
  const text = arnText(resource);
  const afterS3 = text.includes(':s3:::') ? text.slice(text.indexOf(':s3:::') + ':s3:::'.length) : text;
  const slash = afterS3.indexOf('/');
  return slash < 0 ? undefined : afterS3.slice(slash + 1);
}

function arnText(resource: unknown): string {
  if (typeof resource === 'string') return resource;
  if (resource && typeof resource === 'object' && 'Fn::Join' in resource) {
    const [separator, parts] = (resource as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts.map((p) => (typeof p === 'string' ? p : '\u0000')).join(separator);
  }
  return '\u0000';
}

export interface ObjectGrant {
  readonly action: string;
  /** The object-key pattern, or undefined when the resource is not an S3 object ARN. */
  readonly key: string | undefined;
}

/** Every (action, object-key pattern) pair a role's statements allow, whatever way they were merged. */
export function s3GrantsOfRole(resources: Record<string, CfnResource>, roleId: string): ObjectGrant[] {
  return statementsOfRole(resources, roleId)
    .filter((s) => s.Effect === 'Allow')
    .flatMap((s) =>
      actionsOf(s)
        .filter((a) => a.startsWith('s3:'))
        .flatMap((action) => resourcesOf(s).map((r) => ({ action, key: objectKeyPattern(r) }))),
    );
}

/** Whether an IAM resource pattern (`*` any run of characters, `?` one) matches a key. */
export function iamPatternMatches(pattern: string, key: string): boolean {
  const source = [...pattern]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 's').test(key);
}
