// Process entry of the CLI (`npm run cli -- <command>`). Like main.ts, it turns on V8's compile cache first.
import * as nodeModule from 'node:module';

// Node 22.1+; older runtimes (not supported, but they still run) simply start without it.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
await import('./run-cli.js');
