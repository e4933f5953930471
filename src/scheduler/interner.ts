// Small stable ids for names (GPU models, sites, racks, tenants): the snapshot keeps numbers in
// typed arrays, not strings.
export class Interner {
  readonly names: string[];
  private readonly ids: Map<string, number>;

  /** A copy of `from` when given (ids stay the same), else empty. */
  constructor(from?: Interner) {
    this.names = from ? [...from.names] : [];
    this.ids = from ? new Map(from.ids) : new Map();
  }

  /** The id of `name`, given the next free one the first time it is seen. */
  id(name: string): number {
    let v = this.ids.get(name);
    if (v === undefined) {
      v = this.names.length;
      this.names.push(name);
      this.ids.set(name, v);
    }
    return v;
  }

  /** The name of an id ("" for one never handed out). */
  name(id: number): string {
    return this.names[id] ?? '';
  }
}
