import { appendFileSync } from 'node:fs';

/** Module loader hook (runs off the main thread): records each loaded file URL (under $LOADED_MODULES_UNDER), then loads it as usual. */
export async function load(url, context, nextLoad) {
  const log = process.env.LOADED_MODULES_LOG;
  if (log && url.startsWith(process.env.LOADED_MODULES_UNDER ?? 'file:')) appendFileSync(log, `${url}\n`);
  return nextLoad(url, context);
}
