import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { DEFAULT_CONFIG, loadRepoConfig, parseRepoConfig } from '../../../findings/config/repo-config.js';

describe('.github/pipewarden.yml', () => {
  it('has documented defaults', () => {
    expect(DEFAULT_CONFIG.gate).toEqual({ failOn: 'HIGH', newOnly: false, allowMissingReports: false });
    expect(DEFAULT_CONFIG.approvals.permission).toBe('maintain');
  });

  it('names the field and the accepted values on a bad config', () => {
    expect(() => parseRepoConfig({ gate: { failOn: 'severe' } })).toThrow(
      'pipewarden: .github/pipewarden.yml: invalid field "gate.failOn": accepted values: CRITICAL, HIGH, MEDIUM, LOW, INFO',
    );
    expect(() => parseRepoConfig({ gate: { failon: 'high' } })).toThrow(
      /invalid field "gate": unknown key\(s\) failon/,
    );
    expect(() => parseRepoConfig({ suppressions: [{ rule: 'x' }] })).toThrow(
      /"suppressions\[0\]\.reason": is required/,
    );
    expect(() => parseRepoConfig({ suppressions: [{ reason: 'why' }] })).toThrow(
      /needs at least one of fingerprint/,
    );
    expect(() => parseRepoConfig({ suppressions: [{ rule: 'x', reason: 'y', expires: 'soon' }] })).toThrow(
      /"suppressions\[0\]\.expires": "soon" is not a date such as 2026-12-31/,
    );
  });

  it('refuses dates out of range and blank reasons, one line each', () => {
    const suppression = (extra: Record<string, unknown>) => ({
      suppressions: [{ rule: 'x', reason: 'y', ...extra }],
    });
    // Read by JavaScript's Date, "99999" was the year 99999 ("+099999-01"): a suppression that never ends.
    for (const [expires, shown] of [
      ['99999', '"99999"'],
      [99999, '"99999"'],
      ['2026-02-30', '"2026-02-30"'],
      ['+099999-01-01', '"+099999-01-01"'],
      ['31/12/2026', '"31/12/2026"'],
    ] as const)
      expect(() => parseRepoConfig(suppression({ expires }))).toThrow(
        `pipewarden: .github/pipewarden.yml: invalid field "suppressions[0].expires": ${shown} is not a date such as 2026-12-31 (a real day, four-digit year)`,
      );
    expect(parseRepoConfig(suppression({ expires: '2027-03-01T00:00:00Z' })).suppressions[0]!.expires).toBe(
      '2027-03-01',
    );
    expect(parseRepoConfig(suppression({ expires: new Date('2027-03-01') })).suppressions[0]!.expires).toBe(
      '2027-03-01',
    );
    for (const reason of ['', '   ', '\n\t'])
      expect(() => parseRepoConfig({ suppressions: [{ rule: 'x', reason }] })).toThrow(
        'pipewarden: .github/pipewarden.yml: invalid field "suppressions[0].reason": a reason is required (not blank)',
      );
  });

  it('lists every problem of a config on one line, in the wording the deployment config uses', () => {
    let message = '';
    try {
      parseRepoConfig({ gate: { failOn: 'SEVERE' }, suppressions: [{ rule: 'x' }], extra: 1 });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^pipewarden: \.github\/pipewarden\.yml: 3 problems: /);
    expect(message).toContain('"gate.failOn"');
    expect(message).toContain('"suppressions[0].reason": is required');
    expect(message).toContain('unknown key(s) extra; remove or fix the spelling');
    expect(message).not.toContain('\n');
  });

  it('reads YAML, with YAML dates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-cfg-'));
    const file = join(dir, 'pipewarden.yml');
    writeFileSync(
      file,
      'gate:\n  failOn: critical\nsuppressions:\n  - vulnerability: CVE-2023-1\n    reason: no fix\n    expires: 2027-02-01\n',
    );
    const config = await loadRepoConfig(file);
    expect(config.gate.failOn).toBe('CRITICAL');
    expect(config.suppressions[0]).toEqual({
      vulnerability: 'CVE-2023-1',
      reason: 'no fix',
      expires: '2027-02-01',
    });
    writeFileSync(file, 'gate: [unclosed');
    await expect(loadRepoConfig(file)).rejects.toThrow(/pipewarden\.yml: not valid YAML/);
  });
});
