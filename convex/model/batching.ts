// Fan-out for paged jobs: one scheduled transaction per batch, so a page of work never
// lands in a single transaction (docs/architecture.md "big jobs").

/** Splits `items` into batches of `batchSize` and schedules one job per batch. */
export async function fanOut<T>(
  items: readonly T[],
  batchSize: number,
  schedule: (batch: T[]) => Promise<unknown>,
): Promise<void> {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += batchSize) batches.push(items.slice(i, i + batchSize));
  await Promise.all(batches.map(schedule));
}
