import { describe, expect, it } from '@jest/globals';
import {
  atLeast,
  severityFromSarifLevel,
  severityFromScore,
  severityFromWord,
} from '../../../findings/model/severity.js';

describe('severity table', () => {
  it('maps every scanner vocabulary, any case', () => {
    expect(severityFromWord('Critical')).toBe('CRITICAL'); // CodeGuru
    expect(severityFromWord('high')).toBe('HIGH'); // Snyk
    expect(severityFromWord('INFORMATIONAL')).toBe('INFO'); // Inspector
    expect(severityFromWord('UNTRIAGED')).toBe('MEDIUM'); // Inspector, not yet scored: not safe
    expect(severityFromWord('none')).toBe('INFO'); // CycloneDX
    expect(severityFromWord('moderate')).toBe('MEDIUM'); // GitHub advisories
    expect(severityFromWord('bogus')).toBeUndefined();
    expect(severityFromWord(3)).toBeUndefined();
  });

  it('uses GitHub code scanning bands for scores', () => {
    expect(severityFromScore(9.8)).toBe('CRITICAL');
    expect(severityFromScore(9.0)).toBe('CRITICAL');
    expect(severityFromScore(8.9)).toBe('HIGH');
    expect(severityFromScore(7.0)).toBe('HIGH');
    expect(severityFromScore(4.0)).toBe('MEDIUM');
    expect(severityFromScore(0.1)).toBe('LOW');
    expect(severityFromScore(0)).toBe('INFO');
  });

  it('maps SARIF levels and compares thresholds', () => {
    expect(severityFromSarifLevel('error')).toBe('HIGH');
    expect(severityFromSarifLevel('warning')).toBe('MEDIUM');
    expect(severityFromSarifLevel('note')).toBe('LOW');
    expect(severityFromSarifLevel('none')).toBe('INFO');
    expect(severityFromSarifLevel(undefined)).toBeUndefined();
    expect(atLeast('CRITICAL', 'HIGH')).toBe(true);
    expect(atLeast('MEDIUM', 'HIGH')).toBe(false);
    expect(atLeast('INFO', 'INFO')).toBe(true);
  });
});
