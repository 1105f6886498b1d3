import type { RepoConfig } from '../../findings/config/repo-config.js';
import type { FindingsDocument } from '../../findings/model/finding.js';
import { SEVERITIES, type Severity } from '../../findings/model/severity.js';
import { renderAnnotations, type CheckAnnotation } from '../../findings/render/render-annotations.js';
import { escapeMarkdown, renderMarkdown } from '../../findings/render/render-markdown.js';
import { CHECK_LIMITS, type CheckRunFields } from '../github/check-runs.js';
import { CONFIG_PATH } from '../github/load-config.js';

export interface SecurityCheck {
  fields: CheckRunFields;
  annotations: CheckAnnotation[];
  /** Annotatable findings left out by the cap. */
  omitted: number;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function countsTable(doc: FindingsDocument): string {
  const zero = () => Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const fresh = zero();
  const existing = zero();
  const fixed = zero();
  const suppressed = zero();
  for (const f of doc.findings) {
    if (f.suppression) suppressed[f.severity]++;
    else if (f.status === 'existing') existing[f.severity]++;
    else fresh[f.severity]++;
  }
  for (const f of doc.fixed) fixed[f.severity]++;
  const rows = ['| Severity | New | Existing | Fixed | Suppressed |', '|---|--:|--:|--:|--:|'];
  for (const s of SEVERITIES)
    rows.push(`| ${s} | ${fresh[s]} | ${existing[s]} | ${fixed[s]} | ${suppressed[s]} |`);
  return rows.join('\n');
}

/**
 * The completed "pipewarden / security" check for a findings document: conclusion from the gate (no gate
 * result fails closed, as does a config the bot cannot read), a summary with new / existing / fixed by
 * severity, the annotations (capped by `annotations.max`, with how many were left out), and the full
 * report as the check's text. `externalId` identifies the document, so a repeated event can resume.
 */
export function renderSecurityCheck(
  doc: FindingsDocument,
  options: { config: RepoConfig; configError?: string; externalId: string; source: string },
): SecurityCheck {
  const { annotations, omitted } = renderAnnotations(doc, {
    max: options.config.annotations.max,
    minSeverity: options.config.annotations.minSeverity,
  });
  const gate = doc.gate;
  const lines: string[] = [];
  if (options.configError)
    lines.push(
      `⚠️ **${escapeMarkdown(options.configError)}**. This check fails until ${CONFIG_PATH} is fixed; the findings below are shown with the default settings.`,
      '',
    );
  if (!gate)
    lines.push(
      '❌ The findings document has no gate result, so nothing says this commit is safe: the check fails (fail closed). Run `pipewarden report` with the gate enabled.',
      '',
    );
  else {
    lines.push(
      `${gate.passed ? '✅ Gate passed' : '❌ Gate failed'}: fail on **${gate.failOn}** or worse${gate.newOnly ? ', new findings only' : ''}; ${plural(gate.failing, 'finding')} ${gate.failing === 1 ? 'fails' : 'fail'} it.`,
      '',
    );
    for (const reason of gate.reasons) lines.push(`- ${escapeMarkdown(reason)}`);
    lines.push('');
  }
  lines.push(countsTable(doc), '');
  const annotated = `${plural(annotations.length, 'annotation')} on the changed code`;
  lines.push(
    omitted > 0
      ? `${annotated}; **${omitted} left out** (at most ${options.config.annotations.max}, set by \`annotations.max\` in ${CONFIG_PATH}). The findings document lists them all.`
      : `${annotated} (findings at ${options.config.annotations.minSeverity} or worse with a file location).`,
  );
  if (doc.warnings.length) {
    lines.push('', '#### Warnings', '');
    for (const w of doc.warnings.slice(0, 20)) lines.push(`- ${escapeMarkdown(w)}`);
    if (doc.warnings.length > 20) lines.push(`- … and ${doc.warnings.length - 20} more`);
  }
  lines.push('', `<sub>From ${escapeMarkdown(options.source)}.</sub>`);

  const passed = gate?.passed === true && !options.configError;
  const title = options.configError
    ? `Invalid ${CONFIG_PATH}`
    : !gate
      ? 'No gate result'
      : gate.passed
        ? `Gate passed: ${plural(doc.findings.length, 'finding')}, none failing`
        : `Gate failed: ${plural(gate.failing, 'finding')} at ${gate.failOn} or worse`;
  return {
    fields: {
      status: 'completed',
      conclusion: passed ? 'success' : 'failure',
      external_id: options.externalId,
      output: {
        title,
        summary: lines.join('\n'),
        text: renderMarkdown(doc, { maxLength: CHECK_LIMITS.text, marker: '<!-- pipewarden:check -->' }),
      },
    },
    annotations,
    omitted,
  };
}

/**
 * The check when there is no document to show: missing or unreadable fails closed unless the config
 * allows it. `reason` is Markdown (outside values escaped by the caller).
 */
export function renderUnavailable(
  reason: string,
  options: { allowMissing: boolean; hint?: string },
): CheckRunFields {
  const summary = [
    `⚠️ ${reason.replace(/\.$/, '')}.`,
    '',
    options.allowMissing
      ? `\`gate.allowMissingReports\` is true in ${CONFIG_PATH}, so this check is neutral.`
      : `Without the findings nothing says this commit is safe, so this check fails (fail closed). Set \`gate.allowMissingReports: true\` in ${CONFIG_PATH} to make it neutral instead.`,
  ];
  if (options.hint) summary.push('', options.hint);
  return {
    status: 'completed',
    conclusion: options.allowMissing ? 'neutral' : 'failure',
    output: { title: 'Findings unavailable', summary: summary.join('\n') },
  };
}

/**
 * A findings document that names another commit, execution or pipeline than the run the event is about:
 * always a failure (`gate.allowMissingReports` does not apply), since showing it would let one run's
 * result decide another commit's check.
 */
export function renderForeignDocument(reason: string): CheckRunFields {
  return {
    status: 'completed',
    conclusion: 'failure',
    output: {
      title: 'Findings of another run',
      summary: [
        `⛔ ${reason.replace(/\.$/, '')}.`,
        '',
        'The bot shows only the findings that the gate of this very execution wrote for this commit, so this check fails (fail closed). Re-run the pipeline for this commit.',
      ].join('\n'),
    },
  };
}
