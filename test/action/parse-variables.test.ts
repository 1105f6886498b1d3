import { describe, expect, it } from '@jest/globals';
import { checkDeclaredVariables, parseVariables } from '../../action/lib/parse-variables.js';

describe('parseVariables', () => {
  it('reads NAME=VALUE lines, splitting at the first =, skipping blanks and comments', () => {
    const text = '\n# the PR\nPULL_REQUEST=42\n  IMAGE_TAG = sha-abc \nQUERY=a=b&c=d\r\n@scope-x_1=v\n';
    expect(parseVariables(text)).toEqual([
      { name: 'PULL_REQUEST', value: '42' },
      { name: 'IMAGE_TAG', value: 'sha-abc' },
      { name: 'QUERY', value: 'a=b&c=d' },
      { name: '@scope-x_1', value: 'v' },
    ]);
  });

  it('accepts nothing at all', () => {
    expect(parseVariables('')).toEqual([]);
    expect(parseVariables('\n  \n# only a comment\n')).toEqual([]);
  });

  it.each([
    ['NO_EQUALS', /variables line 1: "NO_EQUALS" is not NAME=VALUE/],
    ['=value', /variables line 1: the variable name before "=" is empty/],
    ['OK=1\nBAD NAME=1', /variables line 2: name "BAD NAME" may only contain letters, digits, @, - and _/],
    ['DOT.NAME=1', /name "DOT.NAME" may only contain/],
    ['EMPTY=', /variables line 1: EMPTY has an empty value; CodePipeline needs at least one character/],
    ['A=1\n\nA=2', /variables line 3: A is already set on line 1/],
  ])('rejects %j', (text, message) => {
    expect(() => parseVariables(text)).toThrow(message);
  });

  it('holds names to 128 characters and values to 1000', () => {
    expect(parseVariables(`${'N'.repeat(128)}=${'v'.repeat(1000)}`)).toHaveLength(1);
    expect(() => parseVariables(`${'N'.repeat(129)}=v`)).toThrow(
      /is 129 characters; CodePipeline allows 128/,
    );
    expect(() => parseVariables(`N=${'v'.repeat(1001)}`)).toThrow(
      /value of N is 1001 characters; CodePipeline allows 1000/,
    );
  });

  it('accepts 50 variables and refuses 51', () => {
    const lines = (n: number) => Array.from({ length: n }, (_, i) => `V${i}=${i}`).join('\n');
    expect(parseVariables(lines(50))).toHaveLength(50);
    expect(() => parseVariables(lines(51))).toThrow(/51 variables given; CodePipeline accepts at most 50/);
  });

  it('errors are one line with the pipewarden prefix', () => {
    try {
      parseVariables('X');
      throw new Error('no error');
    } catch (error) {
      expect((error as Error).message).toMatch(/^pipewarden: variables line 1/);
      expect((error as Error).message).not.toContain('\n');
    }
  });
});

describe('checkDeclaredVariables', () => {
  it('names the variables the pipeline does not declare, and the ones it does', () => {
    expect(() =>
      checkDeclaredVariables(
        [
          { name: 'PULL_REQUEST', value: '1' },
          { name: 'TYPO', value: '2' },
        ],
        ['PULL_REQUEST'],
        'p',
      ),
    ).toThrow('pipewarden: input variables: pipeline "p" does not declare TYPO; it declares: PULL_REQUEST');
    expect(() => checkDeclaredVariables([{ name: 'A', value: '1' }], [], 'p')).toThrow(
      /it declares: no variables/,
    );
    expect(() => checkDeclaredVariables([{ name: 'A', value: '1' }], ['A', 'B'], 'p')).not.toThrow();
  });
});
