import { describe, expect, it } from '@jest/globals';
import { Stack } from 'aws-cdk-lib';
import { renderLikeNag } from '../../infra/lib/acknowledge.js';
import { deploymentWaves } from '../../infra/lib/pipewarden-app.js';
import { templateApp } from './synth.js';

describe('deploymentWaves', () => {
  it('puts each stack one wave after its latest dependency', () => {
    const app = templateApp();
    const stack = (id: string, ...deps: Stack[]) => {
      const s = new Stack(app, id, { stackName: id });
      deps.forEach((d) => s.addStackDependency(d));
      return s;
    };
    const a = stack('a');
    const b = stack('b', a);
    const c = stack('c', a);
    const d = stack('d', b, c);
    const e = stack('e');
    const waves = deploymentWaves([a, b, c, d, e]).map((w) => w.map((s) => s.stackName));
    expect(waves).toEqual([['a', 'e'], ['b', 'c'], ['d']]);
  });

  it('ignores dependencies on stacks it does not deploy', () => {
    const app = templateApp();
    const outside = new Stack(app, 'outside');
    const inside = new Stack(app, 'inside');
    inside.addStackDependency(outside);
    expect(deploymentWaves([inside]).map((w) => w.map((s) => s.stackName))).toEqual([['inside']]);
  });
});

describe('renderLikeNag', () => {
  it('flattens references the way cdk-nag names findings', () => {
    expect(renderLikeNag('arn:aws:s3:::b/*')).toBe('arn:aws:s3:::b/*');
    expect(
      renderLikeNag({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { 'Fn::GetAtt': ['Logs', 'Arn'] }]],
      }),
    ).toBe('arn:<AWS::Partition>:logs:<Logs.Arn>');
    expect(renderLikeNag({ 'Fn::Sub': 'arn:${AWS::Partition}:x' })).toBe('arn:<AWS::Partition>:x');
    expect(renderLikeNag({ 'Fn::GetStackOutput': { StackName: 's', OutputName: 'o' } })).toBe(
      '{"Fn::GetStackOutput":{"StackName":"s","OutputName":"o"}}',
    );
  });
});
