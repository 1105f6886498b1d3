import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { App, type IPolicyValidationPlugin, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import {
  ApplicableControlTowerRules,
  controlTowerRuleFiles,
  inapplicableRules,
} from '../../infra/lib/checks.js';

// The Control Tower rules run per template with only the rule files that can apply to it (infra/lib/checks.ts):
// the violations must be exactly those of the validator with every rule.

/** The cfn-guard violations of an app with two stacks that break Control Tower controls, under `plugin`. */
function violations(plugin: IPolicyValidationPlugin): string[] {
  const outdir = mkdtempSync(join(tmpdir(), 'pw-guard-'));
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  const storage = new Stack(app, 'Storage');
  new s3.CfnBucket(storage, 'Plain'); // no versioning, logging, encryption settings or public access block
  new sqs.CfnQueue(storage, 'Queue', { sqsManagedSseEnabled: false });
  const network = new Stack(app, 'Network');
  new ec2.CfnSecurityGroup(network, 'Open', {
    groupDescription: 'ssh from anywhere',
    securityGroupIngress: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIp: '0.0.0.0/0' }],
  });
  new Stack(app, 'Empty'); // no resource a rule is about: no cfn-guard run for it
  Validations.of(app).addPlugins(plugin);
  expect(() => app.synth()).toThrow(/Acknowledge with 'cdk-validator-cfnguard::/);
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: {
      violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
    }[];
  };
  return report.pluginReports
    .flatMap((p) => p.violations)
    .flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath}`))
    .sort();
}

describe('the Control Tower rules a template is checked against', () => {
  const rules = controlTowerRuleFiles();

  it('are every rule file naming one of its resource types', () => {
    expect(rules.length).toBeGreaterThan(200);
    // Every shipped rule names the types it checks, so none is kept blindly.
    expect(rules.filter((r) => r.types.length === 0)).toEqual([]);
    const skipped = inapplicableRules(rules, new Set(['AWS::S3::Bucket']));
    expect(skipped).toContain('ct-redshift-pr-1');
    expect(skipped).not.toContain('ct-s3-pr-1');
    expect(skipped).toHaveLength(rules.filter((r) => !r.types.includes('AWS::S3::Bucket')).length);
    // A rule about a type it only refers to is kept when that type is there.
    const referring = rules.find((r) => r.types.length > 1)!;
    expect(inapplicableRules(rules, new Set([referring.types[1]!]))).not.toContain(referring.name);
    // A rule that names no type is never skipped.
    expect(inapplicableRules([{ name: 'generic', types: [] }], new Set())).toEqual([]);
  });

  it('find exactly the violations of the validator with every rule', () => {
    const all = violations(new CfnGuardValidator());
    expect(all.length).toBeGreaterThan(3);
    expect(all.some((v) => v.startsWith('s3_bucket_') && v.includes('Storage/Plain'))).toBe(true);
    expect(all.some((v) => v.includes('Network/Open'))).toBe(true);
    expect(violations(new ApplicableControlTowerRules())).toEqual(all);
  });
});
