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
      /"suppressions\.0\.reason": is required/,
    );
    expect(() => parseRepoConfig({ suppressions: [{ reason: 'why' }] })).toThrow(
      /needs at least one of fingerprint/,
    );
    expect(() => parseRepoConfig({ suppressions: [{ rule: 'x', reason: 'y', expires: 'soon' }] })).toThrow(
      /"suppressions\.0\.expires": a date such as 2026-12-31/,
    );
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
