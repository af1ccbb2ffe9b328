/** A fixed-size set of small integers (pod indexes), 32 per word, for the matrix's unions. */
export class Bitset {
  readonly words: Uint32Array;

  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
  }

  static full(size: number): Bitset {
    const set = new Bitset(size);
    for (let i = 0; i < size; i++) set.add(i);
    return set;
  }

  add(index: number): void {
    this.words[index >>> 5] = (this.words[index >>> 5] as number) | (1 << (index & 31));
  }

  has(index: number): boolean {
    return (((this.words[index >>> 5] as number) >>> (index & 31)) & 1) === 1;
  }

  /** this |= other */
  union(other: Bitset): void {
    for (let i = 0; i < this.words.length; i++) this.words[i] = (this.words[i] as number) | (other.words[i] as number);
  }

  /** this |= a & b */
  unionIntersection(a: Bitset, b: Bitset): void {
    for (let i = 0; i < this.words.length; i++) this.words[i] = (this.words[i] as number) | ((a.words[i] as number) & (b.words[i] as number));
  }
}
