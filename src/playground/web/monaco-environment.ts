// Tells Monaco where its web workers are: files of our own origin (GraphiQL's setup-workers point at a CDN or a bundler).
// The page names its assets' folder (playground/routes.ts): import.meta.url would be whichever chunk this ends up in.
const WORKERS = new URL(document.getElementById('root')!.dataset.assetsUrl!, window.location.href);

(globalThis as { MonacoEnvironment?: unknown }).MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    const name = label === 'json' || label === 'graphql' ? label : 'editor';
    return new Worker(new URL(`${name}.worker.js`, WORKERS), { type: 'module', name: `${name} worker` });
  },
};
