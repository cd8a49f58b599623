/** A reference to an entity another subgraph owns: all this subgraph knows of it is its key. */
export interface EntityRef {
  id: string;
}
