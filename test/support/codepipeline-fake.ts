import * as codepipeline from '@aws-sdk/client-codepipeline';

/*
 * The CodePipeline API model the fakes hold every request to (issue 14): members, required members and
 * types come from the SDK client's own schema (@aws-sdk/client-codepipeline's `<Operation>Input$`, generated
 * from the service model), the limits the model states as constraints from the CodePipeline API Reference
 * (docs.aws.amazon.com/codepipeline/latest/APIReference, the API_<Operation>.html and API_<Shape>.html pages),
 * which the SDK does not carry. A fake answering a request that CodePipeline would refuse would let a bug
 * through: the fakes answer these with CodePipeline's ValidationException instead.
 */

/** Schema tuples: [3, ns, name, traits, members, memberSchemas, required?] structure; [1, ns, name, traits, member] list. */
type Schema = number | readonly unknown[] | (() => Schema);

const resolve = (s: Schema): Schema => (typeof s === 'function' ? resolve(s()) : s);

/** Constraints the API Reference states, by the member's path (`Shape.member`). */
const LIMITS: Record<string, { min?: number; max?: number; pattern?: RegExp; values?: string[] }> = {
  // API_StartPipelineExecution.html
  'StartPipelineExecutionInput.name': { min: 1, max: 100, pattern: /^[A-Za-z0-9.@_-]+$/ },
  'StartPipelineExecutionInput.clientRequestToken': { min: 1, max: 128, pattern: /^[a-zA-Z0-9-]+$/ },
  'StartPipelineExecutionInput.variables': { min: 1, max: 50 },
  'StartPipelineExecutionInput.sourceRevisions': { max: 50 },
  // API_PipelineVariable.html
  'PipelineVariable.name': { min: 1, max: 128, pattern: /^[A-Za-z0-9@_-]+$/ },
  'PipelineVariable.value': { min: 1, max: 1000 },
  // API_SourceRevisionOverride.html
  'SourceRevisionOverride.actionName': { min: 1, max: 100, pattern: /^[A-Za-z0-9.@_-]+$/ },
  'SourceRevisionOverride.revisionType': {
    values: ['COMMIT_ID', 'IMAGE_DIGEST', 'S3_OBJECT_VERSION_ID', 'S3_OBJECT_KEY'],
  },
  'SourceRevisionOverride.revisionValue': { min: 1, max: 1500 },
  // API_StopPipelineExecution.html
  'StopPipelineExecutionInput.pipelineName': { min: 1, max: 100, pattern: /^[A-Za-z0-9.@_-]+$/ },
  'StopPipelineExecutionInput.pipelineExecutionId': { pattern: /^[0-9a-f-]{36}$/ },
  'StopPipelineExecutionInput.reason': { max: 200 },
  // API_GetPipelineExecution.html, API_ListActionExecutions.html, API_ListPipelineExecutions.html
  'GetPipelineExecutionInput.pipelineExecutionId': { pattern: /^[0-9a-f-]{36}$/ },
  'ListActionExecutionsInput.maxResults': { min: 1, max: 100 },
  'ListPipelineExecutionsInput.maxResults': { min: 1, max: 100 },
  'PutApprovalResultInput.token': { pattern: /^[0-9a-f-]{36}$/ },
  // API_ApprovalResult.html
  'ApprovalResult.summary': { min: 0, max: 512 },
  'ApprovalResult.status': { values: ['Approved', 'Rejected'] },
};

function check(path: string, limitKey: string, value: unknown, problems: string[]): void {
  const limit = LIMITS[limitKey];
  if (!limit) return;
  const size =
    typeof value === 'number'
      ? value
      : Array.isArray(value) || typeof value === 'string'
        ? value.length
        : undefined;
  if (size !== undefined && limit.min !== undefined && size < limit.min)
    problems.push(`${path}: must be at least ${limit.min}${typeof value === 'number' ? '' : ' long'}`);
  if (size !== undefined && limit.max !== undefined && size > limit.max)
    problems.push(`${path}: must be at most ${limit.max}${typeof value === 'number' ? '' : ' long'}`);
  if (typeof value === 'string' && limit.pattern && !limit.pattern.test(value))
    problems.push(`${path}: must satisfy the pattern ${limit.pattern.source}`);
  if (typeof value === 'string' && limit.values && !limit.values.includes(value))
    problems.push(`${path}: must be one of ${limit.values.join(', ')}`);
}

function walk(schema: Schema, value: unknown, path: string, limitKey: string, problems: string[]): void {
  const s = resolve(schema);
  check(path, limitKey, value, problems);
  if (typeof s === 'number') {
    // Simple types: 0 string, 1 number, 2 boolean, 4–7 timestamps; 64|x a list of them, 128|x a map.
    const base = s & 63;
    const list = (s & 64) !== 0;
    const map = (s & 128) !== 0;
    if (list && !Array.isArray(value)) problems.push(`${path}: must be a list`);
    else if (map && (typeof value !== 'object' || value === null || Array.isArray(value)))
      problems.push(`${path}: must be a map`);
    else if (!list && !map && base === 0 && typeof value !== 'string')
      problems.push(`${path}: must be a string`);
    else if (!list && !map && base === 1 && typeof value !== 'number')
      problems.push(`${path}: must be a number`);
    else if (!list && !map && base === 2 && typeof value !== 'boolean')
      problems.push(`${path}: must be a boolean`);
    return;
  }
  const [kind, , name, , a, b, required] = s as [number, string, string, number, unknown, unknown, number?];
  if (kind === 1) {
    if (!Array.isArray(value)) return void problems.push(`${path}: must be a list`);
    value.forEach((item, i) => walk(a as Schema, item, `${path}[${i}]`, `${name}.member`, problems));
    return;
  }
  if (kind !== 3) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return void problems.push(`${path || name}: must be a structure`);
  const members = a as string[];
  const schemas = b as Schema[];
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record))
    if (!members.includes(key) && record[key] !== undefined)
      problems.push(`${path ? `${path}.` : ''}${key}: is not a member of ${name}`);
  members.forEach((member, i) => {
    const at = path ? `${path}.${member}` : member;
    const memberSchema =
      Array.isArray(schemas[i]) &&
      (schemas[i] as unknown[]).length === 2 &&
      typeof (schemas[i] as unknown[])[1] === 'number' &&
      typeof (schemas[i] as unknown[])[0] !== 'string'
        ? ((schemas[i] as unknown[])[0] as Schema)
        : schemas[i]!;
    if (record[member] === undefined || record[member] === null) {
      if (i < (required ?? 0)) problems.push(`${at}: is required`);
      return;
    }
    walk(memberSchema, record[member], at, `${name}.${member}`, problems);
  });
}

/**
 * Every way `input` breaks the model of `operation`'s request (e.g. `reason: must be at most 200 long`),
 * or [] when CodePipeline would accept it.
 */
export function codePipelineRequestProblems(operation: string, input: unknown): string[] {
  const schema = (codepipeline as unknown as Record<string, Schema | undefined>)[`${operation}Input$`];
  if (!schema) return [`${operation}: not an operation of CodePipeline`];
  const problems: string[] = [];
  walk(schema, input ?? {}, '', '', problems);
  return problems;
}

/** The error CodePipeline answers such a request with, as the SDK deserialises it. */
export function validationException(operation: string, problems: string[]): codepipeline.ValidationException {
  return new codepipeline.ValidationException({
    message: `${operation}: ${problems.length} validation error(s): ${problems.join('; ')}`,
    $metadata: { httpStatusCode: 400 },
  });
}

/** Throws CodePipeline's ValidationException when `input` breaks the model; the fakes call it first. */
export function assertCodePipelineRequest(operation: string, input: unknown): void {
  const problems = codePipelineRequestProblems(operation, input);
  if (problems.length) throw validationException(operation, problems);
}
