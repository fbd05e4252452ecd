/**
 * The stylesheet: GOV.UK Frontend and MOJ Frontend compiled from Sass with our own font
 * stack (src/web/assets/app.scss). Compiled once per source version and kept in
 * node_modules/.cache, so a restart or a test run does not compile it again.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const SOURCE = path.join(ROOT, 'src/web/assets/app.scss');
const CACHE_DIR = path.join(ROOT, 'node_modules/.cache/spoc');

function versionOf(name: string): string {
  return (require(`${name}/package.json`) as { version: string }).version;
}

let compiled: Promise<{ css: string; hash: string }> | undefined;

async function compile(): Promise<{ css: string; hash: string }> {
  const source = fs.readFileSync(SOURCE, 'utf8');
  const key = createHash('sha256')
    .update(source)
    .update(versionOf('govuk-frontend'))
    .update(versionOf('@ministryofjustice/frontend'))
    .digest('hex')
    .slice(0, 16);
  const file = path.join(CACHE_DIR, `app-${key}.css`);
  if (fs.existsSync(file)) return { css: fs.readFileSync(file, 'utf8'), hash: key };
  const sass = await import('sass');
  const result = sass.compile(SOURCE, {
    loadPaths: [ROOT],
    style: 'compressed',
    quietDeps: true,
    logger: sass.Logger.silent,
  });
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  // Written then renamed, so a reader never sees half a file.
  const partial = `${file}.${process.pid}`;
  fs.writeFileSync(partial, result.css);
  fs.renameSync(partial, file);
  return { css: result.css, hash: key };
}

/** The compiled stylesheet (compiled at most once per process). */
export function stylesheet(): Promise<{ css: string; hash: string }> {
  compiled ??= compile();
  return compiled;
}
