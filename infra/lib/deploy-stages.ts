/** CodePipeline's fixed quota: at most 50 actions in one stage (and 50 stages in one pipeline). */
export const MAX_ACTIONS_PER_STAGE = 50;

/** One deploy action's place: its stage (index) and its runOrder within that stage. */
export interface StagedAction<T> {
  readonly item: T;
  readonly runOrder: number;
}

/**
 * Lays waves of deploy actions (each wave after every earlier one) into stages of at most `max` actions: a
 * wave keeps its own runOrder, and a wave that does not fit goes on in the next stage, which runs after it.
 * One stage while everything fits, as before; more repositories than one stage holds add stages.
 */
export function deploymentStages<T>(
  waves: readonly (readonly T[])[],
  max = MAX_ACTIONS_PER_STAGE,
): StagedAction<T>[][] {
  const stages: StagedAction<T>[][] = [];
  let current: StagedAction<T>[] = [];
  let runOrder = 0;
  for (const wave of waves) {
    const rest = [...wave];
    while (rest.length > 0) {
      if (current.length === max) {
        stages.push(current);
        current = [];
        runOrder = 0;
      }
      runOrder += 1;
      for (const item of rest.splice(0, max - current.length)) current.push({ item, runOrder });
    }
  }
  if (current.length > 0) stages.push(current);
  return stages;
}
