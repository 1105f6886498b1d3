import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 finding for one wildcard *resource* on `scope`'s policies.
 *
 * cdk-nag v3 names each finding after the resource as it appears in the template, and a resource
 * from another stack only gets its final form (an Fn::GetStackOutput) when CDK resolves cross-stack
 * references during synthesis. So the id is computed in a construct validation, which CDK runs after
 * that resolution and before the rule packs read the acknowledgements. Only the resource given here
 * is acknowledged: any other wildcard on the same policy still fails synthesis.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  const done = acknowledged(scope);
  scope.node.addValidation({
    validate: () => {
      const id = `AwsSolutions-IAM5[Resource::${renderLikeNag(Stack.of(scope).resolve(resource))}]`;
      if (!done.has(id)) {
        done.add(id);
        Validations.of(scope).acknowledge({ id, reason });
      }
      return [];
    },
  });
}

/** Acknowledges one AWS Control Tower proactive control (cfn-guard rule) on `scope`, with the reason. */
export function acknowledgeControl(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `cdk-validator-cfnguard::${rule}`, reason });
}

/**
 * The cfn-guard rules look for a literal key or bucket, or a reference inside the same template; a
 * reference to the storage stack's key or log bucket is an Fn::GetStackOutput they cannot follow.
 * Where that is the only reason a control fails, this says so; test/infra asserts the setting is there.
 */
export const CROSS_STACK =
  'Set, to the key or bucket of the storage stack; the cross-stack reference (Fn::GetStackOutput) is opaque to this rule.';

const seen = new WeakMap<IConstruct, Set<string>>();
function acknowledged(scope: IConstruct): Set<string> {
  let set = seen.get(scope);
  if (!set) seen.set(scope, (set = new Set()));
  return set;
}

/** A resolved CloudFormation value flattened the way cdk-nag prints resources in finding ids. */
export function renderLikeNag(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (Array.isArray(v['Fn::Join'])) {
      const [delimiter, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(renderLikeNag).join(delimiter);
    }
    if (v['Fn::Sub'] !== undefined) return renderLikeNag(v['Fn::Sub']);
    if (Array.isArray(v['Fn::GetAtt'])) {
      const [resource, attribute] = v['Fn::GetAtt'] as [unknown, unknown];
      return `<${renderLikeNag(resource)}.${renderLikeNag(attribute)}>`;
    }
    if (v['Fn::ImportValue'] !== undefined) return renderLikeNag(v['Fn::ImportValue']);
    if (v.Ref !== undefined) return `<${renderLikeNag(v.Ref)}>`;
  }
  return JSON.stringify(value);
}
