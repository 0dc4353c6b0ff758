// Per-request batching of field lookups: a list asking every item for the same related field (a client's creator, its
// secrets) would otherwise cost a query per item. The fields of every item of a list are resolved before the event
// loop turns, so the keys asked for until then are gathered and read with one call.

/**
 * A loader that gathers the keys asked for in one request (keyed by its GraphQL context) during one turn of the event
 * loop, reads them with one call to `load`, and answers each from its result (undefined when `load` has no entry).
 */
export function perRequestBatch<K, V>(load: (keys: K[]) => Promise<ReadonlyMap<K, V>>): (context: object, key: K) => Promise<V | undefined> {
  const batches = new WeakMap<object, { keys: Set<K>; loaded: Promise<ReadonlyMap<K, V>> }>();
  return (context, key) => {
    let batch = batches.get(context);
    if (!batch) {
      const keys = new Set<K>();
      const loaded = new Promise<void>((resolve) => { setImmediate(resolve); }).then(() => {
        batches.delete(context);
        return load([...keys]);
      });
      batch = { keys, loaded };
      batches.set(context, batch);
    }
    batch.keys.add(key);
    return batch.loaded.then((values) => values.get(key));
  };
}
