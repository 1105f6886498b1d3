import { describe, expect, it } from '@jest/globals';
import {
  atLeast,
  isSeverity,
  severityFromSarifLevel,
  severityFromUnknownSarifLevel,
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

  it('looks words up as own entries only: prototype names are unknown words, never functions', () => {
    for (const word of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(severityFromWord(word)).toBeUndefined();
      expect(severityFromSarifLevel(word)).toBeUndefined();
      expect(isSeverity(word)).toBe(false);
      expect(severityFromUnknownSarifLevel(word)).toBe('HIGH');
    }
    expect(isSeverity('HIGH')).toBe(true);
    // Something that is not a severity never slips under a threshold.
    expect(atLeast('constructor' as never, 'CRITICAL')).toBe(true);
  });

  it('reads a level SARIF does not define at its most severe reasonable meaning', () => {
    expect(severityFromUnknownSarifLevel('Error')).toBe('HIGH');
    expect(severityFromUnknownSarifLevel('WARNING')).toBe('MEDIUM');
    expect(severityFromUnknownSarifLevel('critical')).toBe('CRITICAL');
    expect(severityFromUnknownSarifLevel('fatal')).toBe('CRITICAL');
    expect(severityFromUnknownSarifLevel('low')).toBe('LOW');
    expect(severityFromUnknownSarifLevel('severe')).toBe('HIGH');
    expect(severityFromUnknownSarifLevel(3)).toBe('HIGH');
  });
});
