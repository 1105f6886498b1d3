import { readFileSync } from 'node:fs';
import { PipewardenError } from '../errors.js';

const PEM_KINDS = ['RSA PRIVATE KEY', 'PRIVATE KEY'];

/**
 * The GitHub App's private key where the bot's Probot finds it (@probot/get-private-key), so doctor checks
 * the key the bot will use: --github-private-key, else PRIVATE_KEY (the PEM itself, with literal `\n`s,
 * base64, or on one line), else the file PRIVATE_KEY_PATH names. Undefined when none is set.
 */
export function readAppPrivateKey(flagFile: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (flagFile) return readKeyFile(flagFile, '--github-private-key');
  if (env.PRIVATE_KEY) return decodeKey(env.PRIVATE_KEY);
  if (env.PRIVATE_KEY_PATH) return readKeyFile(env.PRIVATE_KEY_PATH, 'PRIVATE_KEY_PATH');
  return undefined;
}

function readKeyFile(file: string, source: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new PipewardenError(
      `${source} ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'}); pass the .pem file from the App's settings`,
      { cause: error },
    );
  }
}

/** PRIVATE_KEY as Probot reads it; anything else is left as given, for the PEM check to name. */
function decodeKey(value: string): string {
  let key =
    Buffer.from(value, 'base64').toString('base64') === value
      ? Buffer.from(value, 'base64').toString()
      : value;
  key = key.replace(/\\n/g, '\n');
  if (key.includes('\n')) return key;
  // One line (a secret store's copy): the PEM body back on lines of its own.
  for (const kind of PEM_KINDS) {
    const begin = `-----BEGIN ${kind}-----`;
    const end = `-----END ${kind}-----`;
    if (key.startsWith(begin) && key.trimEnd().endsWith(end)) {
      const body = key.slice(begin.length, key.trimEnd().length - end.length).trim();
      return `${begin}\n${body.replace(/\s+/g, '\n')}\n${end}\n`;
    }
  }
  return key;
}
