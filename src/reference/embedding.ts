/**
 * Float64 embedding lookup (Keras `layers.Embedding`): tokens are integer indices into a
 * vocab × dim table; the output row of a token is the table's row. Written from the definition.
 *
 * Tokens arrive as numbers (the data pipeline is numeric); a token that is not an integer in
 * [0, vocab) has no row. Keras on a GPU silently returns zeros for it (a dead row that trains
 * nothing); fitcheck refuses such data before training ({@linkcode findInvalidToken}), and this twin
 * and the kernel give NaN for it so a stray one can never pass as a plausible zero.
 * @module
 */

/** Keras's default `embeddings_initializer` "uniform": U(-0.05, 0.05). */
export const EMBEDDING_INIT_LIMIT = 0.05;

/** True when `token` names a row of a table with `vocab` rows. */
export function isValidToken(token: number, vocab: number): boolean {
  return Number.isInteger(token) && token >= 0 && token < vocab;
}

/** The first token that is not a row of the table, as (position, value), or null when all are. */
export function findInvalidToken(
  tokens: ArrayLike<number>,
  vocab: number,
): { position: number; value: number } | null {
  for (let p = 0; p < tokens.length; p++) {
    if (!isValidToken(tokens[p], vocab)) return { position: p, value: tokens[p] };
  }
  return null;
}

/** y[p, d] = table[tokens[p], d] for `tokens.length` positions (NaN for a token with no row). */
export function embeddingForward(
  tokens: ArrayLike<number>,
  table: ArrayLike<number>,
  vocab: number,
  dim: number,
): Float64Array {
  if (table.length !== vocab * dim) {
    throw new RangeError(`embeddingForward: table has ${table.length} values for ${vocab} × ${dim}`);
  }
  const y = new Float64Array(tokens.length * dim);
  for (let p = 0; p < tokens.length; p++) {
    const t = tokens[p];
    for (let d = 0; d < dim; d++) y[p * dim + d] = isValidToken(t, vocab) ? table[t * dim + d] : NaN;
  }
  return y;
}

/**
 * dTable[v, d] = Σ over positions p with tokens[p] = v of dy[p, d], positions in increasing order
 * (the order the kernel sums in); rows no token names get 0, and invalid tokens contribute nowhere.
 */
export function embeddingBackward(
  tokens: ArrayLike<number>,
  dy: ArrayLike<number>,
  vocab: number,
  dim: number,
): Float64Array {
  if (dy.length !== tokens.length * dim) {
    throw new RangeError(`embeddingBackward: dy has ${dy.length} values for ${tokens.length} × ${dim}`);
  }
  const dTable = new Float64Array(vocab * dim);
  for (let p = 0; p < tokens.length; p++) {
    const t = tokens[p];
    if (!isValidToken(t, vocab)) continue;
    for (let d = 0; d < dim; d++) dTable[t * dim + d] += dy[p * dim + d];
  }
  return dTable;
}
