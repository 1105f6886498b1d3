import { describe, expect, it } from '@jest/globals';
import { MAX_ACTIONS_PER_STAGE, deploymentStages } from '../../infra/lib/deploy-stages.js';

// The infrastructure pipeline deploys every stack of the deployment, 3 per repository: one stage held at most
// 13 repositories before CodePipeline's 50-actions-a-stage quota refused the pipeline.
describe('deploy stages of the infrastructure pipeline', () => {
  const wave = (name: string, n: number) => Array.from({ length: n }, (_, i) => `${name}${i}`);

  it('keeps one stage, one runOrder per wave, while everything fits', () => {
    // Why: small deployments keep the pipeline they always had.
    expect(deploymentStages([['a', 'b'], ['c']])).toEqual([
      [
        { item: 'a', runOrder: 1 },
        { item: 'b', runOrder: 1 },
        { item: 'c', runOrder: 2 },
      ],
    ]);
  });

  it('never puts more than 50 actions in a stage, and deploys every stack after its earlier waves', () => {
    // Why: 200 repositories in three accounts — 9 shared stacks, then 3 per repository in two waves.
    const waves = [wave('base', 3), wave('env', 6), wave('service', 400), wave('pipelines', 200), ['bot']];
    const stages = deploymentStages(waves);
    expect(Math.max(...stages.map((s) => s.length))).toBe(MAX_ACTIONS_PER_STAGE);
    // Every stack once, in the order of the waves: a stack's stage and runOrder never precede an earlier wave's.
    const placed = stages.flatMap((s, stage) => s.map((a) => ({ ...a, stage })));
    expect(placed.map((p) => p.item)).toEqual(waves.flat());
    const position = (item: string) => placed.find((p) => p.item === item)!;
    const before = (a: string, b: string) =>
      position(a).stage < position(b).stage ||
      (position(a).stage === position(b).stage && position(a).runOrder < position(b).runOrder);
    expect(before('env5', 'service0')).toBe(true);
    expect(before('service399', 'pipelines0')).toBe(true);
    expect(before('pipelines199', 'bot')).toBe(true);
    // 610 actions: 13 stages of the pipeline's 50 (4 others: Source, Synth, SelfUpdate, Assets).
    expect(stages).toHaveLength(Math.ceil(610 / MAX_ACTIONS_PER_STAGE));
  });
});
