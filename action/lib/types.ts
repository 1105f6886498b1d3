export interface ActionShape {
  name: string;
  category: string;
  provider: string;
  runOrder: number;
  configuration: Record<string, string>;
}

export interface StageShape {
  name: string;
  actions: ActionShape[];
}

/** What the action needs of GetPipeline's answer. */
export interface PipelineShape {
  name: string;
  version?: number;
  pipelineType?: string;
  executionMode?: string;
  stages: StageShape[];
  /** Names of the pipeline-level variables the pipeline declares. */
  variables: string[];
}

/** One action execution of the followed pipeline execution, as last seen. */
export interface ActionRecord {
  id: string;
  stage: string;
  action: string;
  provider?: string;
  status: string;
  startTime?: Date;
  lastUpdateTime?: Date;
  /** Console link to the external run (CodeBuild build and its logs, deployment…). */
  url?: string;
  summary?: string;
  errorCode?: string;
  errorMessage?: string;
}

/** The GitHub workflow run the action runs in (GITHUB_* variables). */
export interface GitHubRun {
  serverUrl: string;
  repository: string;
  runId: string;
  runAttempt: string;
}

export interface Logger {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
  startGroup(name: string): void;
  endGroup(): void;
}
