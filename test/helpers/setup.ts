// Runs before each test file. MikroORM keeps entity metadata on a process-wide global, which jest's per-file module
// registries would otherwise share across files (and across realms); each file starts with its own.
import 'reflect-metadata';

delete (globalThis as Record<string, unknown>)['mikro-orm-metadata'];
