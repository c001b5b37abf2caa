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
