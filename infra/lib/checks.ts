import { type App, Validations } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * The rule packs every synthesis runs: cdk-nag's AWS Solutions pack and the AWS Control Tower proactive
 * controls (cfn-guard). A violation fails synthesis; exceptions are acknowledged on the narrowest
 * construct, with a reason, next to the resource they concern.
 */
export function addChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), new CfnGuardValidator());
}
