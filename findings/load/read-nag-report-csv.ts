import { open, readFile } from 'node:fs/promises';
import { NAG_CSV_HEADER, parseNagReportCsv } from '../parse/parse-nag-report-csv.js';

/**
 * cdk-nag v2's CSV report, the one input that is not JSON: recognized by its header line and turned into
 * the JSON report's `{"lines": [...]}`. Returns undefined for any other file (the JSON reader takes over).
 */
export async function readNagReportCsv(file: string): Promise<unknown> {
  let head: string;
  try {
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(NAG_CSV_HEADER.length + 3);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      head = buffer
        .subarray(0, bytesRead)
        .toString('utf8')
        .replace(/^\uFEFF/, '');
    } finally {
      await handle.close();
    }
  } catch {
    return undefined; // unreadable: the JSON reader reports it the usual way
  }
  if (!head.startsWith(NAG_CSV_HEADER)) return undefined;
  return parseNagReportCsv(await readFile(file, 'utf8'), file);
}
