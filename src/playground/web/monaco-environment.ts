// Tells Monaco where its web workers are: files of our own origin (GraphiQL's setup-workers point at a CDN or a bundler).
const WORKERS = new URL('./workers/', import.meta.url);

(globalThis as { MonacoEnvironment?: unknown }).MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    const name = label === 'json' || label === 'graphql' ? label : 'editor';
    return new Worker(new URL(`${name}.worker.js`, WORKERS), { type: 'module', name: `${name} worker` });
  },
};
