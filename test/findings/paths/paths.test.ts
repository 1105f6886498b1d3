import { describe, expect, it } from '@jest/globals';
import { normalizePath } from '../../../findings/paths/normalize-path.js';

const opts = { sourceRoot: '/codebuild/output/src42/src' };

describe('repo-relative paths', () => {
  it.each([
    ['src/app.ts', 'src/app.ts'],
    ['./src/app.ts', 'src/app.ts'],
    ['/codebuild/output/src42/src/src/app.ts', 'src/app.ts'],
    // Another parallel action's build, with its own source directory.
    ['/codebuild/output/src7/src/lib/x.py', 'lib/x.py'],
    ['file:///codebuild/output/src42/src/a%20b.js', 'a b.js'],
    ['%SRCROOT%/main.js', 'main.js'],
    ['PROJECTROOT/infra/main.tf', 'infra/main.tf'],
    ['src\\win\\file.cs', 'src/win/file.cs'],
    ['a/../b/c.ts', 'b/c.ts'],
  ])('%s → %s', (raw, expected) => {
    expect(normalizePath(raw, opts)).toEqual({ path: expected });
  });

  it.each([
    ['../outside.ts', /escapes the repository/],
    ['a/../../etc/passwd', /escapes the repository/],
    ['/etc/passwd', /absolute path outside the repository/],
    ['https://example.com/x.js', /not a file path/],
    ['', /empty path/],
  ])('%s is rejected', (raw, why) => {
    const r = normalizePath(raw, opts);
    expect('rejected' in r && r.rejected).toMatch(why);
  });

  it('uses the SARIF run base ids', () => {
    expect(
      normalizePath('x/y.go', { ...opts, uriBaseIds: { SRC: 'file:///codebuild/output/src42/src/' } }, 'SRC'),
    ).toEqual({
      path: 'x/y.go',
    });
  });
});
