import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';

/**
 * A Kysely plugin that delays the result of the first query matching a kind and a table until the
 * test releases it. Tests use it to put another writer into the exact gap between two steps
 * of a service (for example between re-wrapping the key versions and the commit), so a race
 * that is rare under real timing happens every run.
 */
export class QueryPause implements KyselyPlugin {
  readonly #kind: RootOperationNode['kind'];
  readonly #table: string;
  readonly #delayed = new Set<unknown>();
  #armed = true;
  #reached!: () => void;
  #release!: () => void;
  readonly #gate = new Promise<void>((resolve) => {
    this.#release = resolve;
  });
  /** Resolves once the matching query has run and its result is being delayed. */
  readonly reached = new Promise<void>((resolve) => {
    this.#reached = resolve;
  });

  constructor(kind: RootOperationNode['kind'], table: string) {
    this.#kind = kind;
    this.#table = table;
  }

  release(): void {
    this.#release();
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (this.#armed && args.node.kind === this.#kind && namesTable(args.node, this.#table)) {
      this.#armed = false;
      this.#delayed.add(args.queryId);
    }
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.#delayed.delete(args.queryId)) {
      this.#reached();
      await this.#gate;
    }
    return args.result;
  }
}

/** Returns whether the query's own table (FROM, INTO or UPDATE target, not a subquery's) is `table`. */
function namesTable(node: RootOperationNode, table: string): boolean {
  const target =
    node.kind === 'SelectQueryNode' || node.kind === 'DeleteQueryNode'
      ? node.from?.froms[0]
      : node.kind === 'UpdateQueryNode'
        ? node.table
        : node.kind === 'InsertQueryNode'
          ? node.into
          : undefined;
  return target !== undefined && JSON.stringify(target).includes(`"name":"${table}"`);
}
