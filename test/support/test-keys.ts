import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOnce } from './build-once.js';
import { testCacheDir } from './repo.js';

/**
 * A 2048-bit RSA key pair for tests that sign as a GitHub App, generated once per checkout and kept in the test
 * cache (inside node_modules, mode 0700), one per `name`: a generation costs 0.1-0.5 s of CPU and a dozen test
 * files each needed one. Generated here, never committed (a committed private key is what secret scanners flag,
 * and anyone could sign with it).
 */
export function testKeyPair(name: string): { privateKey: KeyObject; publicKey: KeyObject } {
  const directory = join(testCacheDir(), `pipewarden-key-${name}`);
  if (!existsSync(directory))
    buildOnce(directory, (into) =>
      writeFileSync(
        join(into, 'key.pem'),
        generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
          type: 'pkcs8',
          format: 'pem',
        }),
        { mode: 0o600 },
      ),
    );
  const privateKey = createPrivateKey(readFileSync(join(directory, 'key.pem')));
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
