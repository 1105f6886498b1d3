import type { ServerResponse } from 'node:http';
import { BatchImportFindingsRequest$ } from '@aws-sdk/client-securityhub';
import { json } from './aws-http.js';
import { modelViolations } from './aws-model.js';

/** BatchImportFindings: "Array Members: Minimum number of 1 item. Maximum number of 100 items." */
export const MAX_FINDINGS_PER_IMPORT = 100;

export type SecurityHubAnswer =
  | { status: number; errorType: string; message?: string }
  | { fail: Record<string, string> } // Id → ErrorCode in FailedFindings, the rest imported
  | undefined; // import everything

/**
 * Security Hub's BatchImportFindings (REST-JSON), served by FakeAws. Each request is checked against the
 * client's own model and the 1..100 findings limit first (InvalidInputException, 400, as the service).
 */
export class SecurityHubFake {
  requests = 0;
  /** How often each finding Id was imported (accepted). */
  readonly imported = new Map<string, number>();
  /** The last version of each finding Security Hub accepted. */
  readonly received = new Map<string, Record<string, unknown>>();
  readonly batchSizes: number[] = [];
  readonly bodyBytes: number[] = [];
  /** Decides the answer to request number `n` (1-based). */
  answer = (_n: number, _findings: { Id: string }[]): SecurityHubAnswer => undefined;
  delayMs = (_n: number): number => 0;

  reset(): void {
    this.requests = 0;
    this.imported.clear();
    this.received.clear();
    this.batchSizes.length = 0;
    this.bodyBytes.length = 0;
    this.answer = () => undefined;
    this.delayMs = () => 0;
  }

  /** POST /findings/import; a request the model refuses is reported to `reject`. */
  async importFindings(body: Buffer, res: ServerResponse, reject: (problem: string) => void): Promise<void> {
    const request = JSON.parse(body.toString('utf8')) as { Findings?: unknown };
    const problems = modelViolations(BatchImportFindingsRequest$, request);
    if (Array.isArray(request.Findings) && request.Findings.length > MAX_FINDINGS_PER_IMPORT)
      problems.push(`Findings: Member must have length less than or equal to ${MAX_FINDINGS_PER_IMPORT}`);
    if (Array.isArray(request.Findings) && request.Findings.length === 0)
      problems.push('Findings: Member must have length greater than or equal to 1');
    if (problems.length > 0) {
      for (const p of problems) reject(`POST /findings/import: ${p}`);
      return json(
        res,
        400,
        { Code: 'InvalidInputException', Message: problems.join('; ') },
        'InvalidInputException',
      );
    }
    const n = ++this.requests;
    const { Findings } = request as { Findings: { Id: string }[] };
    this.batchSizes.push(Findings.length);
    this.bodyBytes.push(body.length);
    const delay = this.delayMs(n);
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    const answer = this.answer(n, Findings);
    if (answer && 'status' in answer)
      return json(res, answer.status, { message: answer.message ?? answer.errorType }, answer.errorType);
    const fail = answer && 'fail' in answer ? answer.fail : {};
    const failed: { Id: string; ErrorCode: string; ErrorMessage: string }[] = [];
    for (const f of Findings) {
      if (fail[f.Id]) {
        failed.push({ Id: f.Id, ErrorCode: fail[f.Id]!, ErrorMessage: `injected ${fail[f.Id]}` });
        continue;
      }
      this.imported.set(f.Id, (this.imported.get(f.Id) ?? 0) + 1);
      this.received.set(f.Id, f);
    }
    json(res, 200, {
      FailedCount: failed.length,
      SuccessCount: Findings.length - failed.length,
      FailedFindings: failed,
    });
  }
}
