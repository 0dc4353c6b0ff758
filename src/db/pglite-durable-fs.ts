// PGlite's Node.js file system, made to keep what it acknowledges. Every reliance on PGlite's internals for that is
// here, and test/db/embedded-durability.test.ts counts the syncs of a real commit, so an upgrade that changes them fails.
//
// PGlite 0.5 on Node.js promises nothing across a power loss: it starts PostgreSQL with `-F` (fsync off), and even
// with fsync on, its Emscripten NODEFS has no `fsync` (a no-op) and `fdatasync` is a stub, so a commit never reaches
// the disk before it is acknowledged. Its `relaxedDurability` option does not help: it only decides whether a query
// waits for `syncToFs`, which NodeFS does not implement (it is for the in-memory file systems copied to IndexedDB).
import { fsyncSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';

type EmscriptenOptions = Parameters<NodeFS['init']>[1];
interface NodeStream { nfd?: number }
interface Nodefs {
  stream_ops: { fsync?: (stream: NodeStream) => number };
  /** Runs a Node.js file operation, turning its error into the errno PostgreSQL sees. */
  tryFSOperation(operation: () => void): void;
}

/** NodeFS whose files' fsync is Node's fsync on the real file. */
export class DurableNodeFS extends NodeFS {
  override async init(pg: PGlite, opts: EmscriptenOptions): Promise<{ emscriptenOpts: EmscriptenOptions }> {
    const { emscriptenOpts } = await super.init(pg, opts);
    const syncFiles = (mod: { FS: unknown }) => {
      const nodefs = (mod.FS as { filesystems: { NODEFS: Nodefs } }).filesystems.NODEFS;
      // A failed sync fails the commit, as PostgreSQL wants (it then stops rather than risk the data).
      nodefs.stream_ops.fsync = (stream) => {
        const { nfd } = stream;
        if (nfd !== undefined) nodefs.tryFSOperation(() => fsyncSync(nfd));
        return 0;
      };
    };
    return { emscriptenOpts: { ...emscriptenOpts, preRun: [...(emscriptenOpts.preRun ?? []), syncFiles] } };
  }
}

/**
 * PostgreSQL's start parameters for a data folder that keeps every acknowledged commit: fsync on, and the write-ahead
 * log synced with fsync() (PGlite's fdatasync does nothing), one sync per commit.
 */
export function durableStartParams(params: readonly string[]): string[] {
  return [...params.filter((param) => param !== '-F'), '-c', 'fsync=on', '-c', 'wal_sync_method=fsync'];
}
