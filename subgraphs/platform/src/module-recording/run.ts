import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { SubgraphName } from '../config.ts';

const repositoryRoot = fileURLToPath(new URL('../../../..', import.meta.url));
const recorder = fileURLToPath(new URL('./record.mjs', import.meta.url));

export interface RecordedRun {
  /** Absolute paths of the subgraph's own source files the process loaded (under its src/). */
  loaded: string[];
  /** What `probe` answered while the process served. */
  probe: { status: number; body: string };
  exitCode: number | null;
  output: string;
}

/** The subgraph's src/ and src/sandbox/ folders (absolute, with a trailing slash). */
export function subgraphSourceFolders(subgraph: SubgraphName) {
  const src = join(repositoryRoot, 'subgraphs', subgraph, 'src') + '/';
  return { src, sandbox: join(src, 'sandbox') + '/' };
}

/**
 * Starts the real subgraph process (src/index.ts, through tsx) with a loader hook that records every module of the
 * subgraph it loads, waits until it logs that it listens, runs `probe` against it, stops it with SIGTERM. Used to
 * prove that live mode never loads sandbox code: a dynamic import taken by mistake shows as well as a static one.
 */
export async function runSubgraphRecordingModules(
  subgraph: SubgraphName,
  env: Record<string, string>,
  probe: (baseUrl: string) => Promise<Response>,
): Promise<RecordedRun> {
  const dir = mkdtempSync(join(tmpdir(), `${subgraph}-recorded-`));
  const log = join(dir, 'loaded.txt');
  const { src } = subgraphSourceFolders(subgraph);
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', recorder, `subgraphs/${subgraph}/src/index.ts`], {
    cwd: repositoryRoot,
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      [`${subgraph.toUpperCase()}_PORT`]: '0',
      DATA_DIR: join(dir, 'data'),
      LOADED_MODULES_LOG: log,
      LOADED_MODULES_UNDER: pathToFileURL(src).href,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // The port the process reports once it listens (<NAME>_PORT=0: an ephemeral one).
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /"port":(\d+)[^\n]*subgraph listening/.exec(output);
      if (match) resolve(Number(match[1]));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`${subgraph} exited (${code}) before listening:\n${output}`)));
  });
  let answer: { status: number; body: string };
  try {
    const response = await probe(`http://127.0.0.1:${port}`);
    answer = { status: response.status, body: await response.text() };
  } finally {
    child.kill('SIGTERM');
  }
  const exitCode = await exited;
  const loaded = existsSync(log)
    ? readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((url) => fileURLToPath(url))
    : [];
  return { loaded, probe: answer, exitCode, output };
}
