// Process entry of the service. Turns on V8's on-disk compile cache before anything else loads: most of a start is
// compiling the libraries' JavaScript, which the cache saves on every start after the first.
import * as nodeModule from 'node:module';

// Node 22.1+; older runtimes (not supported, but they still run) simply start without it.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
await import('./run-service.js');
