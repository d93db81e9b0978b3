/**
 * Seeded randomness for reproducible generated traffic: a PRNG, a seed mixer, and draws (pick,
 * weighted, int, uuid) over any {@link Random}. Pure given the PRNG's state.
 *
 * @example
 * const random = mulberry32(mixSeed(42, index));
 * const id = uuid(random);
 */
/**
 * mulberry32: a tiny, fast, well-distributed 32-bit PRNG. Hand-written because it is six lines and
 * no installed package offers a seeded generator (Math.random cannot be seeded); not for crypto.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Mixes a seed and an index into one 32-bit seed (murmur3 finalizer), so invoices are independent. */
export function mixSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A PRNG: uniform in [0, 1). */
export type Random = () => number;

/** One of `items`, uniformly. */
export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** One of `items`, by weight. */
export function weighted<T>(random: Random, items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((sum, [, w]) => sum + w, 0);
  let r = random() * total;
  for (const [item, w] of items) {
    r -= w;
    if (r < 0) return item;
  }
  return (items[items.length - 1] as readonly [T, number])[0];
}

/** An integer from `min` to `max`, both included. */
export function int(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

function hex(random: Random, digits: number): string {
  let out = '';
  while (out.length < digits)
    out += Math.floor(random() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, digits);
}

/** A UUID v4-shaped id from the PRNG (version and variant bits set), so event ids are reproducible. */
export function uuid(random: Random): string {
  const h = hex(random, 32);
  const variant = ((Number.parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
