import { describe, expect, it } from '@jest/globals';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  BOT_MEMORY_MB,
  BOT_RESERVED_CONCURRENCY,
  BotStack,
  type BotStackProps,
} from '../../infra/lib/stacks/bot-stack.js';
import { loadTemplates } from '../support/synth-cache.js';
import { BOT_PLACEHOLDER, exampleConfig, templateApp } from './synth.js';

/** The bot's Lambda: capped concurrency on the public Function URL, memory sized from a measurement. */
describe('bot function sizing', () => {
  it('in the app as deployed: reserved concurrency and the measured memory', () => {
    const app = loadTemplates('example'); // synthesized once, shared with the other infra tests
    const template = app.template(app.stacks.bot);
    // Why: a flood of unsigned requests to the public URL may use at most this many instances, never the
    // account's concurrency; and a 100,000-finding publication fits (scripts/measure-bot-memory.ts).
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'pipewarden-bot',
      ReservedConcurrentExecutions: BOT_RESERVED_CONCURRENCY,
      MemorySize: BOT_MEMORY_MB,
    });
    expect(BOT_RESERVED_CONCURRENCY).toBe(10);
    expect(BOT_MEMORY_MB).toBe(1024);
  }, 900_000); // the first run after a change synthesizes the example with every check

  function botStack(reservedConcurrency?: number): Template {
    const app = templateApp({ context: { 'aws:cdk:bundling-stacks': [] } });
    const env = { account: '123456789012', region: 'eu-west-1' };
    const base = new Stack(app, 'Base', { env });
    const props: BotStackProps = {
      env,
      config: exampleConfig(),
      codeDirectory: BOT_PLACEHOLDER,
      key: new kms.Key(base, 'Key'),
      findingsBucket: new s3.Bucket(base, 'Findings'),
      repository: new ecr.Repository(base, 'Ci'),
      topic: new sns.Topic(base, 'Topic'),
      connectionArn: 'arn:aws:codeconnections:eu-west-1:123456789012:connection/0f1e2d3c',
      ...(reservedConcurrency !== undefined ? { reservedConcurrency } : {}),
    };
    return Template.fromStack(new BotStack(app, 'Bot', props));
  }

  it('takes another cap from its props', () => {
    // Why: an account with a low concurrency limit, or a busy organization, sets its own figure.
    botStack(3).hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 3 });
  });

  it.each([0, -1, 2.5])('refuses reservedConcurrency %p in one line naming the accepted values', (n) => {
    expect(() => botStack(n)).toThrow(
      `pipewarden: bot reservedConcurrency ${n}: expected a whole number of at least 1 (default 10)`,
    );
  });
});
