/** A reference to an entity another subgraph owns: all this subgraph knows of it is its key. */
export interface EntityRef {
  id: string;
}

/** Objects that only group fields (e.g. `AuditTrail`): their resolvers carry no parent data. */
export type Grouping = Record<string, never>;
