import { PipewardenError } from '../../findings/errors.js';

/** StartPipelineExecution's limits (API reference: PipelineVariable, StartPipelineExecution). */
export const VARIABLE_LIMITS = {
  maxVariables: 50,
  maxNameLength: 128,
  maxValueLength: 1000,
  namePattern: /^[A-Za-z0-9@\-_]+$/,
} as const;

export interface PipelineVariable {
  name: string;
  value: string;
}

/**
 * Reads the `variables` input: one `NAME=VALUE` a line, split at the first `=`, name and value trimmed;
 * blank lines and lines starting with `#` are skipped. Everything CodePipeline would reject is rejected here,
 * with the line at fault, so the user never sees a ValidationException after the pipeline was looked up.
 */
export function parseVariables(text: string): PipelineVariable[] {
  const variables: PipelineVariable[] = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `variables line ${index + 1}`;
    const eq = line.indexOf('=');
    if (eq < 0) throw new PipewardenError(`${where}: "${clip(line)}" is not NAME=VALUE`);
    const name = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (name === '') throw new PipewardenError(`${where}: the variable name before "=" is empty`);
    if (name.length > VARIABLE_LIMITS.maxNameLength)
      throw new PipewardenError(
        `${where}: name "${clip(name)}" is ${name.length} characters; CodePipeline allows ${VARIABLE_LIMITS.maxNameLength}`,
      );
    if (!VARIABLE_LIMITS.namePattern.test(name))
      throw new PipewardenError(
        `${where}: name "${clip(name)}" may only contain letters, digits, @, - and _ (CodePipeline's [A-Za-z0-9@\\-_]+)`,
      );
    if (value === '')
      throw new PipewardenError(
        `${where}: ${name} has an empty value; CodePipeline needs at least one character`,
      );
    if (value.length > VARIABLE_LIMITS.maxValueLength)
      throw new PipewardenError(
        `${where}: the value of ${name} is ${value.length} characters; CodePipeline allows ${VARIABLE_LIMITS.maxValueLength}`,
      );
    const first = seen.get(name);
    if (first !== undefined)
      throw new PipewardenError(`${where}: ${name} is already set on line ${first}; give each variable once`);
    seen.set(name, index + 1);
    variables.push({ name, value });
  });
  if (variables.length > VARIABLE_LIMITS.maxVariables)
    throw new PipewardenError(
      `variables: ${variables.length} variables given; CodePipeline accepts at most ${VARIABLE_LIMITS.maxVariables} per execution`,
    );
  return variables;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** CodePipeline only overrides variables the pipeline declares: say which are unknown before starting. */
export function checkDeclaredVariables(
  variables: PipelineVariable[],
  declared: string[],
  pipelineName: string,
): void {
  const known = new Set(declared);
  const unknown = variables.filter((v) => !known.has(v.name)).map((v) => v.name);
  if (unknown.length > 0)
    throw new PipewardenError(
      `input variables: pipeline "${pipelineName}" does not declare ${unknown.join(', ')}; it declares: ${declared.join(', ') || 'no variables'}`,
    );
}
