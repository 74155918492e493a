/**
 * vitest 5 declares Node ^22.12, and its reporter calls ES2024 built-ins that Node 20 (this
 * project's /usr/bin/node, 20.20) lacks: `Map.groupBy` when it prints a failed test, `Object.groupBy`
 * when it writes snapshots, `Promise.withResolvers` in watch mode. Without them a failing Dawn run
 * reports "Map.groupBy is not a function" instead of the failure. Each is installed only when
 * missing, following the ES2024 definitions, so on Node 22+ this does nothing.
 */

function groupInto<K, T>(
  items: Iterable<T>,
  key: (item: T, index: number) => K,
  add: (k: K, item: T) => void,
) {
  let index = 0;
  for (const item of items) add(key(item, index++), item);
}

const MapCtor = Map as unknown as { groupBy?: unknown };
MapCtor.groupBy ??= function groupBy<K, T>(items: Iterable<T>, key: (item: T, index: number) => K) {
  const out = new Map<K, T[]>();
  groupInto(items, key, (k, item) => {
    const group = out.get(k);
    if (group) group.push(item);
    else out.set(k, [item]);
  });
  return out;
};

const ObjectCtor = Object as unknown as { groupBy?: unknown };
ObjectCtor.groupBy ??= function groupBy<T>(items: Iterable<T>, key: (item: T, index: number) => PropertyKey) {
  const out = Object.create(null) as Record<PropertyKey, T[]>;
  groupInto(items, key, (k, item) => (out[k] ??= []).push(item));
  return out;
};

const PromiseCtor = Promise as unknown as { withResolvers?: unknown };
PromiseCtor.withResolvers ??= function withResolvers<T>() {
  let resolve!: (value: T | PromiseLike<T>) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
