import { describe, expect, it } from '@jest/globals';
import { checkAgainstOpenApi } from './helpers/openapi.js';

// The GitHub fake's request check (helpers/openapi.ts), read from a digest of @octokit/openapi's description:
// what the bot tests trust must still refuse what GitHub would.
const url = (path: string) => new URL(`https://api.github.com${path}`);

describe('checkAgainstOpenApi', () => {
  it('passes a request GitHub documents, naming its operation', () => {
    expect(
      checkAgainstOpenApi('POST', url('/repos/acme/shop/check-runs'), {
        name: 'pipewarden / security',
        head_sha: 'a'.repeat(40),
        status: 'completed',
        conclusion: 'failure',
        output: { title: 't', summary: 's', annotations: [] },
      }),
    ).toEqual({ template: '/repos/{owner}/{repo}/check-runs', problems: [] });
    expect(
      checkAgainstOpenApi(
        'GET',
        url('/repos/acme/shop/commits/abc/check-runs?check_name=x&per_page=100'),
        undefined,
      ),
    ).toEqual({ template: '/repos/{owner}/{repo}/commits/{ref}/check-runs', problems: [] });
  });

  it('refuses a body outside the schema, down to a referenced schema', () => {
    const { problems } = checkAgainstOpenApi('POST', url('/repos/acme/shop/check-runs'), {
      name: 'x',
      head_sha: 'a'.repeat(40),
      conclusion: 'bogus',
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^body does not match POST \/repos\/\{owner\}\/\{repo\}\/check-runs: .*conclusion/,
      ),
    ]);
    // An annotation's annotation_level: an enum deep inside the body's schema.
    const nested = checkAgainstOpenApi('PATCH', url('/repos/acme/shop/check-runs/1'), {
      output: {
        title: 't',
        summary: 's',
        annotations: [{ path: 'a', start_line: 1, end_line: 1, annotation_level: 'loud', message: 'm' }],
      },
    });
    expect(nested.problems).toHaveLength(1);
  });

  it('refuses an undeclared or invalid query parameter, an unknown method and an unknown path', () => {
    expect(
      checkAgainstOpenApi('GET', url('/repos/acme/shop/issues/1/comments?color=red'), undefined).problems,
    ).toEqual([
      'query parameter "color" is not declared by GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
    ]);
    expect(
      checkAgainstOpenApi('GET', url('/repos/acme/shop/issues/1/comments?per_page=many'), undefined).problems,
    ).toEqual([expect.stringMatching(/^query parameter per_page=many: /)]);
    expect(checkAgainstOpenApi('PUT', url('/repos/acme/shop/check-runs'), {}).problems).toEqual([
      'PUT is not an operation of /repos/{owner}/{repo}/check-runs',
    ]);
    expect(checkAgainstOpenApi('GET', url('/nowhere/at/all'), undefined).problems).toEqual([
      'no operation matches /nowhere/at/all',
    ]);
  });
});
