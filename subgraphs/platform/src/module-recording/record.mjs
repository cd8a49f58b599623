// `node --import @ipay/platform/src/module-recording/record.mjs`: appends the URL of every module the process loads to
// $LOADED_MODULES_LOG, so a test can see which source files a running server actually pulled in.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
