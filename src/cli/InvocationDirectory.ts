/**
 * The directory the user ran the command in, which a file argument is relative to. `npm run cli`
 * runs the script in the project folder and says where it was started in INIT_CWD (npm's run-script
 * documentation); `npm exec`/`npx` set it too, to the directory they run in.
 */
import { resolve } from 'node:path';

export function resolveUserPath(file: string, env: NodeJS.ProcessEnv): string {
  const ranByNpm = env['npm_lifecycle_event'] !== undefined && env['INIT_CWD'] !== undefined && env['INIT_CWD'] !== '';
  return resolve(ranByNpm ? (env['INIT_CWD'] ?? '') : process.cwd(), file);
}
