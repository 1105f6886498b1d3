// Builds the committed bundles with ncc from inside this ESM package (docs/architecture.md, "Conventions": ESM bundles).
// Usage: npx tsx scripts/bundle.ts [cli|action|action-post|bot ...]   (no argument: all of them)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ncc = join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');

interface Target {
  entry: string;
  out: string;
  minify?: boolean;
}

/** entry → output directory; each output directory holds one ESM `index.js`. */
export const targets: Record<string, Target> = {
  cli: { entry: 'findings/cli/index.ts', out: 'dist/cli' },
  // The runner parses the action afresh on every step: minified, it starts sooner (issue 6's ≤ 250 ms aim).
  action: { entry: 'action/index.ts', out: 'dist/action', minify: true },
  'action-post': { entry: 'action/post.ts', out: 'dist/action/post', minify: true },
  bot: { entry: 'bot/lambda.ts', out: 'dist/bot' },
};

const wanted = process.argv.slice(2);
for (const name of wanted.length ? wanted : Object.keys(targets)) {
  const target = Object.hasOwn(targets, name) ? targets[name] : undefined;
  if (!target) throw new Error(`bundle: unknown target "${name}"; known: ${Object.keys(targets).join(', ')}`);
  if (!existsSync(join(root, target.entry))) {
    console.log(`bundle: ${name}: ${target.entry} does not exist yet, skipped`);
    continue;
  }
  const out = join(root, target.out);
  // Keep nested targets (dist/action/post) when rebuilding their parent.
  for (const f of ['index.js', 'licenses.txt', 'package.json']) rmSync(join(out, f), { force: true });
  mkdirSync(out, { recursive: true });
  execFileSync(
    process.execPath,
    [
      ncc,
      'build',
      target.entry,
      '-o',
      target.out,
      '--license',
      'licenses.txt',
      '-q',
      ...(target.minify ? ['-m'] : []),
    ],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  // The bundles are ESM; say so next to them so they run even when copied out of this package.
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
  console.log(`bundle: ${name} → ${target.out}/index.js`);
}
